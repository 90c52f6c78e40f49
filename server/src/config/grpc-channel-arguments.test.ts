import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError } from "./flags";
import { parseGrpcChannelArguments } from "./grpc-channel-arguments";

test("channel arguments: integers as numbers, the rest as strings", () => {
  assert.deepEqual(
    { ...parseGrpcChannelArguments("grpc.max_connection_age_ms=2000,grpc.primary_user_agent=x=y") },
    { "grpc.max_connection_age_ms": 2000, "grpc.primary_user_agent": "x=y" },
  );
  assert.deepEqual({ ...parseGrpcChannelArguments("") }, {});
  assert.deepEqual({ ...parseGrpcChannelArguments("__proto__=1") }, { ["__proto__"]: 1 });
});

test("an entry without a value is refused, naming it", () => {
  assert.throws(
    () => parseGrpcChannelArguments("grpc.max_connection_age_ms"),
    (e: Error) =>
      e instanceof FlagError && /"grpc.max_connection_age_ms" is not key=value/.test(e.message),
  );
});
