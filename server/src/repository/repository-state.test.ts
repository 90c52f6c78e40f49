import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { scratchFolder } from "../testing/scratch-folder";
import { openRepositoryState } from "./repository-state";

const scratch = scratchFolder("servable-state-");

const logger = pino({ level: "silent" });

test("the labels.json of earlier releases becomes label files, never over newer ones", async () => {
  const root = scratch("legacy");
  await mkdir(join(root, ".servable", "models", "iris", "labels"), { recursive: true });
  await writeFile(
    join(root, ".servable", "labels.json"),
    '{"iris": {"stable": 1, "canary": 2}, "__proto__": {"x": 3}, "bad name": {"y": 1}}',
  );
  await writeFile(
    join(root, ".servable", "models", "iris", "labels", "canary.json"),
    '{"version": 7}',
  );
  const state = await openRepositoryState(root, { logger });
  try {
    await state.labels.refresh();
    const labels = state.labels.current();
    assert.equal(labels.get("iris")?.get("stable"), 1);
    assert.equal(labels.get("iris")?.get("canary"), 7, "the label set since is kept");
    assert.equal(labels.get("__proto__")?.get("x"), 3);
    assert.equal(labels.get("bad name"), undefined);
    assert.deepEqual((await readdir(join(root, ".servable"))).sort(), [
      "labels.json.migrated",
      "models",
      "staging",
    ]);
  } finally {
    await state.close();
  }
  assert.deepEqual(await readdir(join(root, ".servable", "staging")), []);
});

test("a labels.json that does not parse stops the start rather than losing labels", async () => {
  const root = scratch("broken");
  await mkdir(join(root, ".servable"), { recursive: true });
  await writeFile(join(root, ".servable", "labels.json"), "{");
  await assert.rejects(openRepositoryState(root, { logger }), /labels.json is not/);
  assert.deepEqual(await readdir(join(root, ".servable", "staging")), [], "no staging left");
});
