import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TensorMap } from "@servable/protocol";
import { batchKey, batchRows, mergeInputs, paddedBatchSize, splitOutputs } from "./tensor-batching";

const floats = (shape: number[], ...values: number[]): TensorMap[string] => ({
  dtype: "DT_FLOAT",
  shape,
  data: new Float32Array(values),
});

describe("batchKey", () => {
  test("requests with the same inputs and inner dimensions share a key", () => {
    assert.equal(
      batchKey({ x: floats([1, 2], 1, 2) }),
      batchKey({ x: floats([3, 2], 1, 2, 3, 4, 5, 6) }),
    );
  });
  test("different inner dimensions, dtypes or input names do not", () => {
    const base = batchKey({ x: floats([1, 2], 1, 2) });
    assert.notEqual(base, batchKey({ x: floats([1, 3], 1, 2, 3) }));
    assert.notEqual(
      base,
      batchKey({ x: { dtype: "DT_INT32", shape: [1, 2], data: new Int32Array(2) } }),
    );
    assert.notEqual(base, batchKey({ z: floats([1, 2], 1, 2) }));
  });
  test("scalars and inputs with different first dimensions cannot batch", () => {
    assert.equal(batchKey({ x: floats([], 1) }), undefined);
    assert.equal(batchKey({ a: floats([1], 1), b: floats([2], 1, 2) }), undefined);
  });
});

describe("merge and split", () => {
  test("rows are concatenated in request order and split back to each request", () => {
    const a = { x: floats([1, 2], 1, 2) };
    const b = { x: floats([2, 2], 3, 4, 5, 6) };
    const merged = mergeInputs([a, b], 3);
    assert.deepEqual(merged.x!.shape, [3, 2]);
    assert.deepEqual([...(merged.x!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
    const answers = splitOutputs({ y: floats([3], 10, 20, 30) }, [1, 2], 3);
    assert.deepEqual(
      answers.map((r) => [...(r.y!.data as Float32Array)]),
      [[10], [20, 30]],
    );
    assert.deepEqual(
      answers.map((r) => r.y!.shape),
      [[1], [2]],
    );
  });

  test("padding repeats the first row and is dropped from the answers", () => {
    const merged = mergeInputs([{ x: floats([1, 2], 7, 8) }], 4);
    assert.deepEqual([...(merged.x!.data as Float32Array)], [7, 8, 7, 8, 7, 8, 7, 8]);
    const [answer] = splitOutputs({ y: floats([4, 1], 1, 1, 1, 1) }, [1], 4);
    assert.deepEqual(answer!.y!.shape, [1, 1]);
  });

  test("strings batch too", () => {
    const s = (...v: string[]) => ({
      x: { dtype: "DT_STRING" as const, shape: [v.length], data: v.map((t) => Buffer.from(t)) },
    });
    const merged = mergeInputs([s("a"), s("b", "c")], 3);
    assert.deepEqual(
      (merged.x!.data as Uint8Array[]).map((b) => Buffer.from(b).toString()),
      ["a", "b", "c"],
    );
  });

  test("an output without the batch's rows fails the batch", () => {
    assert.throws(
      () => splitOutputs({ y: floats([2], 1, 2) }, [1, 2], 3),
      /0th dimension 2 but the batch has 3 rows/,
    );
  });
});

test("paddedBatchSize picks the smallest allowed size that holds the rows", () => {
  assert.equal(paddedBatchSize(3, [2, 4, 8]), 4);
  assert.equal(paddedBatchSize(8, [2, 4, 8]), 8);
  assert.equal(paddedBatchSize(5, []), 5);
  assert.equal(batchRows({ x: floats([5, 1], 1, 2, 3, 4, 5) }), 5);
});

describe("pad_variable_length_inputs", () => {
  test("ranks, not inner dimensions, decide the key", () => {
    const a = { x: floats([1, 2], 1, 2) };
    const b = { x: floats([1, 3], 1, 2, 3) };
    assert.notEqual(batchKey(a), batchKey(b));
    assert.equal(batchKey(a, true), batchKey(b, true));
    assert.notEqual(batchKey(a, true), batchKey({ x: floats([1, 1, 2], 1, 2) }, true));
  });

  test("each input is padded to the largest inner dimensions with its own first element", () => {
    const merged = mergeInputs(
      [{ x: floats([1, 2], 7, 8) }, { x: floats([2, 3], 1, 2, 3, 4, 5, 6) }],
      3,
      true,
    );
    assert.deepEqual(merged.x!.shape, [3, 3]);
    assert.deepEqual([...(merged.x!.data as Float32Array)], [7, 8, 7, 1, 2, 3, 4, 5, 6]);
  });

  test("padding works on every axis of higher ranks", () => {
    const merged = mergeInputs(
      [{ x: floats([1, 1, 2], 5, 6) }, { x: floats([1, 2, 1], 1, 2) }],
      2,
      true,
    );
    assert.deepEqual(merged.x!.shape, [2, 2, 2]);
    assert.deepEqual([...(merged.x!.data as Float32Array)], [5, 6, 5, 5, 1, 1, 2, 1]);
  });
});
