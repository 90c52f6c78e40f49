import assert from "node:assert/strict";
import { test } from "node:test";
import { countsForDigest, digestText } from "./version-digest";

test("hidden files and folders do not count", () => {
  assert.ok(countsForDigest("model.json"));
  assert.ok(countsForDigest("variables/variables.index"));
  for (const hidden of [".servable", "variables/.tmp", ".ipynb_checkpoints/model.json", ""]) {
    assert.ok(!countsForDigest(hidden), hidden);
  }
});

test("the text lists the files that count, sorted by path, whatever the order given", () => {
  const text = digestText([
    { path: "model.json", sha256: "bb" },
    { path: ".checkpoint", sha256: "cc" },
    { path: "group1-shard1of1.bin", sha256: "aa" },
    { path: "assets/vocab.txt", sha256: "dd" },
  ]);
  assert.equal(text, "assets/vocab.txt\0dd\ngroup1-shard1of1.bin\0aa\nmodel.json\0bb\n");
});
