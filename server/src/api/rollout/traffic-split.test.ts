import assert from "node:assert/strict";
import { test } from "node:test";
import { goesToCandidate, keyPoint } from "./traffic-split";

test("a routing key always lands on the same side, and raising the share only moves keys to the candidate", () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
  const at = (share: number) => keys.filter((k) => goesToCandidate("iris", k, share));
  const tenth = at(0.1);
  assert.deepEqual(at(0.1), tenth, "a pure function of model, key and share");
  assert.ok(Math.abs(tenth.length / keys.length - 0.1) < 0.02, `${tenth.length} of 2000`);
  const third = new Set(at(0.3));
  assert.ok(
    tenth.every((k) => third.has(k)),
    "keys at 0.1 stay on the candidate at 0.3",
  );
  assert.equal(at(0).length, 0);
  assert.equal(at(1).length, keys.length);
});

test("the key's point depends on the model too, and separates model from key", () => {
  assert.notEqual(keyPoint("iris", "u1"), keyPoint("mnist", "u1"));
  assert.notEqual(keyPoint("a", "bc"), keyPoint("ab", "c"));
  const point = keyPoint("iris", "u1");
  assert.ok(point >= 0 && point < 1);
});

test("without a key the split is a weighted coin", () => {
  const coin = [0.05, 0.5, 0.95];
  let i = 0;
  const random = () => coin[i++ % coin.length]!;
  const picks = [0, 1, 2].map(() => goesToCandidate("iris", undefined, 0.5, random));
  assert.deepEqual(picks, [true, false, false]);
});
