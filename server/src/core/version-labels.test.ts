import assert from "node:assert/strict";
import { test } from "node:test";
import { VersionLabels } from "./version-labels";

const wanted = (entries: Record<string, number>) => new Map(Object.entries(entries));
const availableOf =
  (...versions: number[]) =>
  (v: number) =>
    versions.includes(v);

test("a label resolves to its wanted version once that version is AVAILABLE", () => {
  const labels = new VersionLabels();
  assert.equal(labels.update("m", wanted({ stable: 1, canary: 2 }), availableOf(1)), true);
  assert.equal(labels.get("m", "stable"), 1);
  assert.equal(labels.get("m", "canary"), undefined, "not AVAILABLE yet: unrecognized");
  assert.equal(labels.update("m", wanted({ stable: 1, canary: 2 }), availableOf(1)), false);
  assert.equal(labels.update("m", wanted({ stable: 1, canary: 2 }), availableOf(1, 2)), true);
  assert.equal(labels.get("m", "canary"), 2);
  assert.deepEqual(
    [...labels.of("m")],
    [
      ["stable", 1],
      ["canary", 2],
    ],
  );
});

test("a moved label keeps its previous version, held, until the new one is AVAILABLE", () => {
  const labels = new VersionLabels();
  labels.update("m", wanted({ stable: 3 }), availableOf(3));
  labels.update("m", wanted({ stable: 4 }), availableOf(3));
  assert.equal(labels.get("m", "stable"), 3);
  assert.deepEqual(labels.held("m"), [3]);
  assert.deepEqual(labels.labelsOf("m", 3), ["stable"]);
  assert.deepEqual(labels.labelsOf("m", 4), ["stable"]);
  assert.equal(labels.update("m", wanted({ stable: 4 }), availableOf(3, 4)), true);
  assert.equal(labels.get("m", "stable"), 4);
  assert.deepEqual(labels.held("m"), []);
  // The previous version gone meanwhile: nothing to fall back on.
  labels.update("m", wanted({ stable: 5 }), availableOf());
  assert.equal(labels.get("m", "stable"), undefined);
});

test("a removed label stops resolving at once; pointAhead resolves a new label early", () => {
  const labels = new VersionLabels();
  labels.update("m", wanted({ stable: 1 }), availableOf(1));
  assert.equal(labels.update("m", wanted({}), availableOf(1)), true);
  assert.equal(labels.get("m", "stable"), undefined);
  assert.deepEqual([...labels.of("m")], []);
  labels.update("m", wanted({ next: 9 }), availableOf(1), true);
  assert.equal(labels.get("m", "next"), 9);
});

test("names are data: __proto__ and constructor are labels and models like any other", () => {
  const labels = new VersionLabels();
  const made = new Map([
    ["__proto__", 1],
    ["constructor", 2],
  ]);
  labels.update("__proto__", made, availableOf(1, 2));
  assert.equal(labels.get("__proto__", "__proto__"), 1);
  assert.equal(labels.get("__proto__", "constructor"), 2);
  assert.equal(labels.get("other", "constructor"), undefined);
  assert.equal(({} as Record<string, unknown>).constructor, Object, "no prototype touched");
});
