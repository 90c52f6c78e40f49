import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FlagError } from "./flags";
import { readSslConfig } from "./ssl-config";

const KEY = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";

async function withFile(text: string, check: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "servable-ssl-"));
  try {
    const path = join(dir, "ssl.config");
    await writeFile(path, text);
    await check(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("an SSLConfig in text format, PEM text inline as in TF Serving", async () => {
  await withFile(
    `server_key: ${JSON.stringify(KEY)}\nserver_cert: ${JSON.stringify(CERT)}\ncustom_ca: ${JSON.stringify(CERT)}\nclient_verify: true\n`,
    async (path) => {
      assert.deepEqual(await readSslConfig(path), {
        serverKey: KEY,
        serverCert: CERT,
        customCa: CERT,
        clientVerify: true,
      });
    },
  );
  await withFile(
    `server_key: ${JSON.stringify(KEY)} server_cert: ${JSON.stringify(CERT)}`,
    async (path) => {
      const config = await readSslConfig(path);
      assert.equal(config.clientVerify, false);
      assert.equal(config.customCa, undefined);
    },
  );
});

test("a config that cannot serve TLS stops the start, naming file and field", async () => {
  await withFile(
    `server_key: "/etc/ssl/key.pem" server_cert: ${JSON.stringify(CERT)}`,
    async (path) => {
      await assert.rejects(
        readSslConfig(path),
        (e: Error) =>
          e instanceof FlagError &&
          e.message.startsWith(`--ssl_config_file ${path}: server_key must hold the PEM text`),
      );
    },
  );
  await withFile("server_key: 1 2", async (path) => {
    await assert.rejects(
      readSslConfig(path),
      /Error parsing text-format tensorflow.serving.SSLConfig/,
    );
  });
  await assert.rejects(readSslConfig("/nonexistent/ssl.config"), /--ssl_config_file \/nonexistent/);
});
