import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ServingError } from "@servable/protocol";
import { isTransientLoadFailure } from "../core/load-failure";
import { readFailure, readVersionFile } from "./version-files";

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

test("I/O errors that may pass become UNAVAILABLE, which the manager retries", () => {
  for (const code of ["EIO", "EAGAIN", "EMFILE", "ETIMEDOUT", "ESTALE"]) {
    const failure = readFailure(errno(code), "/models/m/1", "model.json");
    assert.equal(failure.code, "UNAVAILABLE", code);
    assert.ok(isTransientLoadFailure(failure), code);
    assert.match(failure.message, /^model\.json in \/models\/m\/1 cannot be read now/);
  }
});

test("a missing file, or one that is not a file, fails the version for good, named", async () => {
  const missing = readFailure(errno("ENOENT"), "/models/m/1", "model.onnx");
  assert.equal(missing.message, "model.onnx in /models/m/1 is missing");
  assert.equal(isTransientLoadFailure(missing), false);
  await assert.rejects(readVersionFile(__dirname, "."), (e: unknown) => {
    assert.ok(e instanceof ServingError);
    assert.equal(e.retryable, false);
    assert.match(e.message, /^\. in .* cannot be read: .* is not a regular file$/);
    return true;
  });
});

test("a named pipe in a version folder fails its version at once instead of blocking the load", async () => {
  const dir = await mkdtemp(join(tmpdir(), "version-files-"));
  try {
    execFileSync("mkfifo", [join(dir, "model.json")]);
    await assert.rejects(readVersionFile(dir, "model.json", "utf8"), (e: unknown) => {
      assert.ok(e instanceof ServingError);
      assert.equal(e.retryable, false);
      assert.match(e.message, /^model\.json in .* cannot be read: .* is not a regular file$/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
