import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVersionEvent } from "./model-events";

test("a version event is read field by field; anything else is not one", () => {
  const data = {
    name: "iris",
    version: "3",
    state: "LOADING",
    status: { error_code: "OK", error_message: "" },
    since: "2026-12-02T10:00:00.000Z",
  };
  assert.deepEqual(parseVersionEvent(JSON.stringify(data)), data);
  assert.deepEqual(parseVersionEvent(JSON.stringify({ ...data, status: undefined })), data);
  for (const bad of [
    "not json",
    "null",
    "[]",
    JSON.stringify({ ...data, state: "SLEEPING" }),
    JSON.stringify({ ...data, version: 3 }),
    JSON.stringify({ ...data, since: undefined }),
  ]) {
    assert.equal(parseVersionEvent(bad), undefined, bad);
  }
});
