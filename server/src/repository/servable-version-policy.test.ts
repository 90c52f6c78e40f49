import assert from "node:assert/strict";
import { test } from "node:test";
import { selectVersions } from "./servable-version-policy";

test("latest{n}: the n highest; all: every one; specific: those listed that exist", () => {
  const present = [1, 10, 3, 2];
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 1 }, present), [10]);
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 2 }, present), [10, 3]);
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 9 }, present), [10, 3, 2, 1]);
  assert.deepEqual(selectVersions({ kind: "all" }, present), [10, 3, 2, 1]);
  assert.deepEqual(selectVersions({ kind: "specific", versions: [2, 7] }, present), [2]);
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 1 }, []), []);
});
