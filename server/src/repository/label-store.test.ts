import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { LabelStore } from "./label-store";

test("labels are kept in <repository>/.servable/labels.json and read back", async () => {
  const root = await mkdtemp(join(tmpdir(), "servable-labels-"));
  try {
    const store = new LabelStore(root);
    assert.deepEqual(await store.load(), {});
    await Promise.all([store.set("iris", "stable", 1), store.set("iris", "canary", 2)]);
    await store.set("mnist", "stable", 4);
    await store.delete("mnist", "stable");
    assert.deepEqual(await new LabelStore(root).load(), { iris: { stable: 1, canary: 2 } });
    // Written through a rename: no temporary file is left.
    assert.deepEqual(await readdir(join(root, ".servable")), ["labels.json"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("a broken labels file stops the start instead of losing the labels", async () => {
  const root = await mkdtemp(join(tmpdir(), "servable-labels-"));
  try {
    await mkdir(join(root, ".servable"));
    for (const broken of ["{oops", '{"iris": {"stable": "x"}}', "[1]"]) {
      await writeFile(join(root, ".servable", "labels.json"), broken);
      await assert.rejects(new LabelStore(root).load(), /labels.json is not/);
    }
    assert.equal(await readFile(join(root, ".servable", "labels.json"), "utf8"), "[1]");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
