import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostTensor, TensorMap } from "@servable/protocol";
import { compareOutputs, compareTopClasses } from "./output-comparison";

const floats = (...values: number[]): HostTensor => ({
  dtype: "DT_FLOAT",
  shape: [values.length],
  data: Float32Array.from(values),
});
const map = (entries: Record<string, HostTensor>): TensorMap => entries;

test("values agree within 1e-6 + 1e-5 |a|; the largest difference is reported", () => {
  assert.deepEqual(compareOutputs(map({ y: floats(1, 2) }), map({ y: floats(1, 2) })), {
    agreed: true,
    maxAbsDiff: 0,
  });
  const close = compareOutputs(map({ y: floats(1000, 2) }), map({ y: floats(1000.005, 2) }));
  assert.equal(close.agreed, true);
  const far = compareOutputs(map({ y: floats(2.5, 3) }), map({ y: floats(1, 3) }));
  assert.deepEqual(far, { agreed: false, maxAbsDiff: 1.5 });
  assert.equal(compareOutputs(map({ y: floats(NaN) }), map({ y: floats(NaN) })).agreed, true);
  assert.equal(compareOutputs(map({ y: floats(NaN) }), map({ y: floats(1) })).agreed, false);
});

test("a missing output, another shape or another dtype disagrees", () => {
  assert.deepEqual(compareOutputs(map({ y: floats(1) }), map({ z: floats(1) })), {
    agreed: false,
    maxAbsDiff: Infinity,
  });
  assert.equal(compareOutputs(map({ y: floats(1) }), map({ y: floats(1, 1) })).agreed, false);
  const ints: HostTensor = { dtype: "DT_INT32", shape: [1], data: Int32Array.of(1) };
  assert.equal(compareOutputs(map({ y: floats(1) }), map({ y: ints })).agreed, false);
  const text = (s: string): HostTensor => ({
    dtype: "DT_STRING",
    shape: [1],
    data: [new TextEncoder().encode(s)],
  });
  assert.equal(compareOutputs(map({ y: text("a") }), map({ y: text("a") })).agreed, true);
  assert.equal(compareOutputs(map({ y: text("a") }), map({ y: text("b") })).agreed, false);
});

test("classify agrees on each example's top class, whatever the scores", () => {
  const stable = [
    [
      { label: "cat", score: 0.9 },
      { label: "dog", score: 0.1 },
    ],
  ];
  const sameTop = [
    [
      { label: "cat", score: 0.6 },
      { label: "dog", score: 0.4 },
    ],
  ];
  const otherTop = [
    [
      { label: "cat", score: 0.4 },
      { label: "dog", score: 0.6 },
    ],
  ];
  const scores = { agreed: false, maxAbsDiff: 0.3 };
  assert.deepEqual(compareTopClasses(stable, sameTop, scores), { agreed: true, maxAbsDiff: 0.3 });
  assert.equal(compareTopClasses(stable, otherTop, scores).agreed, false);
});
