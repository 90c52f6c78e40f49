import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeRuntimeFile } from "@servable/protocol";
import { findLocalServer, resolveServer } from "./server-address";

test("the address comes from the argument, else SERVABLE_URL, else localhost:8501", async () => {
  const env = { SERVABLE_RUNTIME_DIR: "/nonexistent" };
  assert.equal((await resolveServer({}, env)).url, "http://localhost:8501");
  assert.equal(
    (await resolveServer({}, { ...env, SERVABLE_URL: "http://h:1/base/" })).url,
    "http://h:1/base",
  );
  assert.equal(
    (await resolveServer({ server: "http://a:2" }, { ...env, SERVABLE_URL: "http://h:1" })).url,
    "http://a:2",
  );
});

/** Runs `body` with an environment whose runtime folder is a fresh one, removed after it. */
async function withRuntimeDir(body: (env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "servable-runtime-"));
  try {
    await body({ SERVABLE_RUNTIME_DIR: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the token comes from the argument, else SERVABLE_TOKEN, else the local server's runtime file", () =>
  withRuntimeDir(async (env) => {
    await writeRuntimeFile(
      8765,
      { url: "http://localhost:8765", pid: process.pid, token: "from-file" },
      env,
    );
    const local = { ...env, SERVABLE_URL: "http://127.0.0.1:8765" };
    assert.equal((await resolveServer({}, local)).token, "from-file");
    assert.equal((await resolveServer({}, { ...local, SERVABLE_TOKEN: "env" })).token, "env");
    assert.equal(
      (await resolveServer({ token: "arg" }, { ...local, SERVABLE_TOKEN: "env" })).token,
      "arg",
    );
    // Another port, or another host, is another server.
    assert.equal((await resolveServer({ server: "http://127.0.0.1:8766" }, env)).token, undefined);
    assert.equal(
      (await resolveServer({ server: "http://example.com:8765" }, env)).token,
      undefined,
    );
  }));

test("runtime files of servers that stopped are ignored", () =>
  withRuntimeDir(async (env) => {
    // A pid no process has (pid_max on Linux is at most 2^22).
    await writeRuntimeFile(
      8767,
      { url: "http://localhost:8767", pid: 2 ** 22 + 1, token: "stale" },
      env,
    );
    assert.equal((await resolveServer({ server: "http://localhost:8767" }, env)).token, undefined);
  }));

test("loopback names match each other, paths must match", () => {
  const servers = [{ url: "http://localhost:8501/proxy", pid: 1, token: "t" }];
  assert.equal(findLocalServer("http://127.0.0.1:8501/proxy/", servers)?.token, "t");
  assert.equal(findLocalServer("http://[::1]:8501/proxy", servers)?.token, "t");
  assert.equal(findLocalServer("http://127.0.0.1:8501", servers), undefined);
  assert.equal(findLocalServer("not a url", servers), undefined);
});
