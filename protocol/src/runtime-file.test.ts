import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  readRuntimeFile,
  removeRuntimeFile,
  runningServers,
  runtimeDir,
  writeRuntimeFile,
} from "./runtime-file";

test("the runtime folder: SERVABLE_RUNTIME_DIR, else XDG_RUNTIME_DIR/servable, else ~/.local/share", () => {
  assert.equal(runtimeDir({ SERVABLE_RUNTIME_DIR: "/a", XDG_RUNTIME_DIR: "/b" }), "/a");
  assert.equal(runtimeDir({ XDG_RUNTIME_DIR: "/run/user/1" }), "/run/user/1/servable");
  assert.equal(runtimeDir({}), join(homedir(), ".local", "share", "servable", "runtime"));
});

test("the file is its owner's only, found while the server runs, removed when it stops", async () => {
  const dir = await mkdtemp(join(tmpdir(), "servable-runtime-"));
  const env = { SERVABLE_RUNTIME_DIR: join(dir, "rt") };
  try {
    const path = await writeRuntimeFile(
      9001,
      { url: "http://localhost:9001", pid: process.pid, token: "t" },
      env,
    );
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(env.SERVABLE_RUNTIME_DIR)).mode & 0o777, 0o700);
    assert.deepEqual(await readRuntimeFile(path), {
      url: "http://localhost:9001",
      pid: process.pid,
      token: "t",
    });
    assert.deepEqual(
      (await runningServers(env)).map((s) => s.url),
      ["http://localhost:9001"],
    );
    await removeRuntimeFile(9001, env);
    assert.deepEqual(await readdir(env.SERVABLE_RUNTIME_DIR), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a server does not remove another process's file for the same port", async () => {
  const dir = await mkdtemp(join(tmpdir(), "servable-runtime-"));
  const env = { SERVABLE_RUNTIME_DIR: dir };
  try {
    await writeRuntimeFile(9002, { url: "http://localhost:9002", pid: process.ppid }, env);
    await removeRuntimeFile(9002, env);
    assert.deepEqual(await readdir(dir), ["server-9002.json"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
