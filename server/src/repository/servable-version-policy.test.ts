import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVersionDirName, selectVersions } from "./servable-version-policy";

test("latest{n}: the n highest; all: every one; specific: those listed that exist", () => {
  const present = [1, 10, 3, 2];
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 1 }, present), [10]);
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 2 }, present), [10, 3]);
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 9 }, present), [10, 3, 2, 1]);
  assert.deepEqual(selectVersions({ kind: "all" }, present), [10, 3, 2, 1]);
  assert.deepEqual(selectVersions({ kind: "specific", versions: [2, 7] }, present), [2]);
  assert.deepEqual(selectVersions({ kind: "latest", numVersions: 1 }, []), []);
});

test("version directories are integer names; anything else is not a version", () => {
  assert.equal(parseVersionDirName("1"), 1);
  assert.equal(parseVersionDirName("00000123"), 123);
  for (const name of ["-3", "1.tmp", ".1", "abc", "1a", "", "99999999999999999999"]) {
    assert.equal(parseVersionDirName(name), undefined, name);
  }
});
