import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isLabel,
  isModelName,
  labelProblem,
  modelNameProblem,
  own,
  parseVersion,
  versionFromJson,
} from "./names";

test("model names: letters, digits, _ . -, not starting with . or -, no ..", () => {
  for (const good of ["iris", "half_plus_two", "m-1.v2", "_x", "__proto__", "constructor"]) {
    assert.ok(isModelName(good), good);
  }
  for (const bad of ["", ".hidden", "-x", "a/b", "a..b", "a b", "x".repeat(256), 5, null]) {
    assert.ok(!isModelName(bad), String(bad));
    assert.match(modelNameProblem(bad)!, /^Invalid model name/);
  }
  assert.equal(modelNameProblem("iris"), undefined);
});

test("labels: letters, digits and _", () => {
  assert.ok(isLabel("stable") && isLabel("canary_2") && isLabel("__proto__"));
  assert.ok(!isLabel("can-ary") && !isLabel("") && !isLabel("a b"));
  assert.match(labelProblem("can-ary")!, /^Invalid label "can-ary"/);
});

test("versions: digits with a safe integer value, one limit for folders, URLs and JSON", () => {
  assert.equal(parseVersion("00000123"), 123);
  assert.equal(parseVersion("9007199254740991"), Number.MAX_SAFE_INTEGER);
  assert.equal(parseVersion("9007199254740992"), undefined);
  for (const bad of ["", "-1", "1.0", "1e3", " 1", "0x10", "1".repeat(19)]) {
    assert.equal(parseVersion(bad), undefined, bad);
  }
  assert.equal(versionFromJson(3), 3);
  assert.equal(versionFromJson("3"), 3);
  assert.equal(versionFromJson(-1), undefined);
  assert.equal(versionFromJson(1.5), undefined);
  assert.equal(versionFromJson(null), undefined);
});

test("own: a plain object's own values only, never what it inherits", () => {
  const record: Record<string, number> = JSON.parse('{"x": 1, "__proto__": 2}') as Record<
    string,
    number
  >;
  assert.equal(own(record, "x"), 1);
  assert.equal(own(record, "__proto__"), 2);
  assert.equal(own(record, "constructor"), undefined);
  assert.equal(own(record, "toString"), undefined);
  assert.equal(own(undefined, "x"), undefined);
});
