import assert from "node:assert/strict";
import { test } from "node:test";
import { ServingError } from "@servable/protocol";
import { isValidPath, partPath } from "./upload-paths";

test("a part is named by its field name when the filename is that name or its last segment", () => {
  assert.equal(partPath("model.json", "model.json"), "model.json");
  assert.equal(
    partPath("variables/variables.index", "variables.index"),
    "variables/variables.index",
  );
  assert.equal(
    partPath("variables/variables.index", "variables/variables.index"),
    "variables/variables.index",
  );
  assert.equal(partPath("model.weights.bin", undefined), "model.weights.bin");
});

test("parts sharing a generic field name are named by their filenames", () => {
  assert.equal(partPath("file", "model.json"), "model.json");
  assert.equal(partPath("files", "group1-shard1of2.bin"), "group1-shard1of2.bin");
  assert.equal(
    partPath("file", "variables/variables.data-00000-of-00001"),
    "variables/variables.data-00000-of-00001",
  );
});

test("paths that leave the version folder or use other characters are refused", () => {
  const refused = (e: unknown) => e instanceof ServingError && e.code === "INVALID_ARGUMENT";
  for (const bad of [
    "../x",
    "a/../../x",
    "/etc/passwd",
    "a//b",
    "./model.json",
    "a b",
    "a\\b",
    "ü.bin",
    "",
  ]) {
    assert.equal(isValidPath(bad), false, bad);
    assert.throws(() => partPath(bad, undefined), refused, bad);
    if (bad) assert.throws(() => partPath("file", bad), refused, bad);
  }
  // A field name that ends in the filename is a path, and must be a valid one.
  assert.throws(() => partPath("../model.json", "model.json"), /Invalid file path/);
  assert.throws(() => partPath("x", "/abs/model.json"), /Invalid file path/);
});
