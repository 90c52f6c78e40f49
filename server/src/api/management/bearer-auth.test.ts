import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { resolveToken } from "./auth-token";
import { checkBearer, isOpenPath } from "./bearer-auth";

const request = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

test("only the exact bearer token passes; every failure is UNAUTHENTICATED", () => {
  assert.equal(checkBearer(request("Bearer s3cret"), "s3cret"), undefined);
  assert.equal(checkBearer(request("bearer s3cret "), "s3cret"), undefined);
  for (const header of [
    undefined,
    "",
    "Bearer",
    "Bearer s3cre",
    "Bearer s3cret2",
    "Basic s3cret",
    "s3cret",
  ]) {
    const error = checkBearer(request(header), "s3cret");
    assert.equal(error?.code, "UNAUTHENTICATED", String(header));
  }
  assert.match(checkBearer(request(), "x")!.message, /Missing Authorization header/);
});

test("health and metrics stay open under --require_auth_for_reads", () => {
  assert.ok(isOpenPath("/v2/health/live", undefined));
  assert.ok(isOpenPath("/v2/health/ready", undefined));
  assert.ok(isOpenPath("/monitoring/prometheus/metrics", "/monitoring/prometheus/metrics"));
  assert.ok(!isOpenPath("/v1/models", "/monitoring/prometheus/metrics"));
});

test("the token: --auth_token_file's first line, else SERVABLE_TOKEN, else a generated one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "servable-token-"));
  try {
    await writeFile(join(dir, "token"), "from-file\nsecond line\n");
    assert.deepEqual(await resolveToken(join(dir, "token"), { SERVABLE_TOKEN: "env" }), {
      value: "from-file",
      source: "file",
    });
    assert.deepEqual(await resolveToken("", { SERVABLE_TOKEN: " env " }), {
      value: "env",
      source: "environment",
    });
    const generated = await resolveToken("", {});
    assert.equal(generated.source, "generated");
    assert.match(generated.value, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual((await resolveToken("", {})).value, generated.value);
    await writeFile(join(dir, "empty"), "\n");
    await assert.rejects(resolveToken(join(dir, "empty"), {}), /empty first line/);
    await assert.rejects(resolveToken(join(dir, "missing"), {}), /--auth_token_file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
