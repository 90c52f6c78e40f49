import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import {
  freePort,
  ROOT,
  startServer,
  type ServerProcess,
  connect,
  floats,
  unary,
  type Clients,
} from "../support";

/**
 * --ssl_config_file (TF Serving's SSLConfig) on the gRPC port, and the same TLS on the
 * REST port with --rest_api_ssl, with certificates made here by openssl (Debian's
 * package; test/setup/install-system-packages.sh installs it): TLS, and mutual TLS that
 * refuses a client without a certificate signed by custom_ca.
 */
const run = promisify(execFile);
const BASE = join(ROOT, "server", "demo", "models", "half_plus_two");
const TOKEN = "tls-test-token";

let dir: string;
const pem: Record<
  "ca" | "serverKey" | "server" | "clientKey" | "client" | "rogueKey" | "rogue",
  string
> = {
  ca: "",
  serverKey: "",
  server: "",
  clientKey: "",
  client: "",
  rogueKey: "",
  rogue: "",
};

async function openssl(...args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** A key and a certificate for `cn`, signed by the test CA or by itself (the CA's, a rogue one). */
async function issue(name: string, cn: string, signer: "ca" | "self"): Promise<void> {
  // `req` makes a new key and, for `cn`, either a self-signed certificate or a signing request.
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const request = [...newKey, "-keyout", `${name}.key`, "-subj", `/CN=${cn}`];
  if (signer === "self") {
    await openssl("req", "-x509", ...request, "-out", `${name}.pem`, "-days", "1");
    return;
  }
  await openssl("req", ...request, "-out", `${name}.csr`);
  await writeFile(join(dir, `${name}.ext`), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "1",
    "-extfile",
    `${name}.ext`,
  );
}

const read = (file: string) => readFile(join(dir, file), "utf8");

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "servable-tls-"));
  await issue("ca", "Servable test CA", "self");
  await issue("server", "localhost", "ca");
  await issue("client", "a client", "ca");
  await issue("rogue", "a rogue client", "self");
  pem.ca = await read("ca.pem");
  pem.serverKey = await read("server.key");
  pem.server = await read("server.pem");
  pem.clientKey = await read("client.key");
  pem.client = await read("client.pem");
  pem.rogueKey = await read("rogue.key");
  pem.rogue = await read("rogue.pem");
});

interface Running {
  server: ServerProcess;
  grpcAddress: string;
  https: string;
}
const running: ServerProcess[] = [];
const clients: Clients[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of running) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A server whose SSLConfig file holds the PEM text inline, as TF Serving's does. */
async function startTls(clientVerify: boolean, extra: string[] = []): Promise<Running> {
  const config = join(dir, `ssl-${clientVerify}.config`);
  await writeFile(
    config,
    [
      `server_key: ${JSON.stringify(pem.serverKey)}`,
      `server_cert: ${JSON.stringify(pem.server)}`,
      `custom_ca: ${JSON.stringify(pem.ca)}`,
      `client_verify: ${clientVerify}`,
    ].join("\n"),
  );
  const port = await freePort();
  const server = await startServer(
    [
      "--model_name=half_plus_two",
      `--model_base_path=${BASE}`,
      `--port=${port}`,
      `--ssl_config_file=${config}`,
      "--rest_api_ssl",
      ...extra,
    ],
    { env: { SERVABLE_TOKEN: TOKEN, SERVABLE_RUNTIME_DIR: join(dir, `runtime-${clientVerify}`) } },
  );
  running.push(server);
  return {
    server,
    grpcAddress: `localhost:${port}`,
    https: server.url.replace("http://127.0.0.1", "https://localhost"),
  };
}

const predictRequest = {
  model_spec: { name: "half_plus_two" },
  inputs: { x: floats([2], [1, 1]) },
};
function predictOver(address: string, credentials: grpc.ChannelCredentials) {
  const c = connect(address, credentials);
  clients.push(c);
  return unary<{ outputs: { y: { float_val: number[] } } }>(
    c.prediction,
    "Predict",
    predictRequest,
    {
      deadlineMs: 10_000,
    },
  );
}

/** A GET over HTTPS trusting the test CA, with a client certificate when given. */
function httpsGet(
  url: string,
  client?: { key: string; cert: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { ca: pem.ca, ...client, headers: { authorization: `Bearer ${TOKEN}` } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("TLS: Predict over gRPC and the REST API over HTTPS; plaintext clients are refused", async () => {
  const { grpcAddress, https, server } = await startTls(false);
  const answer = await predictOver(grpcAddress, grpc.credentials.createSsl(Buffer.from(pem.ca)));
  assert.deepEqual(answer.outputs.y.float_val, [3]);
  await assert.rejects(
    predictOver(grpcAddress, grpc.credentials.createInsecure()),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
  );
  // A client that does not trust the server's CA refuses the server.
  await assert.rejects(
    predictOver(grpcAddress, grpc.credentials.createSsl()),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
  );
  const status = await httpsGet(`${https}/v1/models/half_plus_two`);
  assert.equal(status.status, 200);
  assert.match(status.body, /"state": "AVAILABLE"/);
  await assert.rejects(fetch(`${server.url}/v1/models/half_plus_two`));
  // The runtime file names the https URL the kernel library calls.
  const runtime = JSON.parse(
    await readFile(join(dir, "runtime-false", `server-${new URL(server.url).port}.json`), "utf8"),
  ) as { url: string };
  assert.equal(runtime.url, `https://127.0.0.1:${new URL(server.url).port}`);
});

test("the kernel library reaches an HTTPS server with the CA in NODE_EXTRA_CA_CERTS", async () => {
  const { https } = await startTls(false, []);
  const script = join(dir, "kernel-client.ts");
  await writeFile(
    script,
    `import { predict } from ${JSON.stringify(join(ROOT, "kernel-lib", "src", "index.ts"))};\n` +
      `predict("half_plus_two", [[2]]).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(String(e)); process.exit(1); });\n`,
  );
  // Without the CA, Node refuses the server's certificate.
  await assert.rejects(
    run(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      env: { ...process.env, SERVABLE_URL: https, SERVABLE_TOKEN: TOKEN },
    }),
  );
  const { stdout } = await run(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: {
      ...process.env,
      SERVABLE_URL: https,
      NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"),
      SERVABLE_TOKEN: TOKEN,
    },
  });
  assert.deepEqual(JSON.parse(stdout), [[3]]);
});

test("mutual TLS: a client certificate signed by custom_ca is needed, on both ports", async () => {
  const { grpcAddress, https } = await startTls(true);
  const ca = Buffer.from(pem.ca);
  await assert.rejects(
    predictOver(grpcAddress, grpc.credentials.createSsl(ca)),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
  );
  await assert.rejects(
    predictOver(
      grpcAddress,
      grpc.credentials.createSsl(ca, Buffer.from(pem.rogueKey), Buffer.from(pem.rogue)),
    ),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
  );
  const answer = await predictOver(
    grpcAddress,
    grpc.credentials.createSsl(ca, Buffer.from(pem.clientKey), Buffer.from(pem.client)),
  );
  assert.deepEqual(answer.outputs.y.float_val, [3]);

  await assert.rejects(httpsGet(`${https}/v1/models/half_plus_two`));
  await assert.rejects(
    httpsGet(`${https}/v1/models/half_plus_two`, { key: pem.rogueKey, cert: pem.rogue }),
  );
  const status = await httpsGet(`${https}/v1/models/half_plus_two`, {
    key: pem.clientKey,
    cert: pem.client,
  });
  assert.equal(status.status, 200);
});

test("--rest_api_ssl without --ssl_config_file stops the start", async () => {
  await assert.rejects(
    startServer([`--model_base_path=${BASE}`, "--rest_api_ssl"], { timeoutMs: 30_000 }),
    /--rest_api_ssl needs --ssl_config_file/,
  );
});
