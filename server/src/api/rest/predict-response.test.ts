import assert from "node:assert/strict";
import { test } from "node:test";
import { ServingError, type HostTensor, type TensorMap } from "@servable/protocol";
import { writePredictResponse } from "./predict-response";

const floats = (shape: number[], values: number[]): HostTensor => ({
  dtype: "DT_FLOAT",
  shape,
  data: Float32Array.from(values),
});
const strings = (shape: number[], values: string[]): HostTensor => ({
  dtype: "DT_STRING",
  shape,
  data: values.map((v) => new TextEncoder().encode(v)),
});

test("the seed answer, laid out as TF Serving lays it out", () => {
  const body = writePredictResponse({ y: floats([3], [2.5, 3, 4.5]) }, "row");
  assert.equal(body, '{\n    "predictions": [2.5, 3.0, 4.5\n    ]\n}');
  assert.equal(body.replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}');
});

test("row format: one entry per batch element, inner lists on one line", () => {
  const body = writePredictResponse({ y: floats([2, 2], [1, 2, 3, 4]) }, "row");
  assert.equal(body, '{\n    "predictions": [[1.0, 2.0], [3.0, 4.0]\n    ]\n}');
  assert.deepEqual(JSON.parse(body), {
    predictions: [
      [1, 2],
      [3, 4],
    ],
  });
});

test("row format with several outputs: objects keyed by output name, sorted", () => {
  const outputs: TensorMap = {
    scores: floats([2, 2], [0.25, 0.75, 0.5, 0.5]),
    classes: strings([2], ["cat", "dog"]),
  };
  const body = writePredictResponse(outputs, "row");
  assert.equal(
    body,
    '{\n    "predictions": [\n        {\n            "classes": "cat",\n            "scores": [0.25, 0.75]\n        },\n' +
      '        {\n            "classes": "dog",\n            "scores": [0.5, 0.5]\n        }\n    ]\n}',
  );
});

test("columnar format: outputs as a value, or an object of outputs", () => {
  assert.deepEqual(JSON.parse(writePredictResponse({ y: floats([2], [1, 2]) }, "columnar")), {
    outputs: [1, 2],
  });
  const body = writePredictResponse(
    { a: floats([], [9e6]), b: { dtype: "DT_INT32", shape: [2], data: Int32Array.of(1, -2) } },
    "columnar",
  );
  assert.equal(body.replace(/\s/g, ""), '{"outputs":{"a":9e+06,"b":[1,-2]}}');
});

test('strings print as text; outputs named *_bytes as {"b64": ...}', () => {
  const body = writePredictResponse(
    { text: strings([1], ['hé"llo']), image_bytes: strings([1], ["\u0000\u0001"]) },
    "row",
  );
  assert.deepEqual(JSON.parse(body), {
    predictions: [{ image_bytes: { b64: "AAE=" }, text: 'hé"llo' }],
  });
});

test("dtypes print as TF Serving prints them: doubles 17 digits, bools, int64 exact, NaN", () => {
  const outputs: TensorMap = {
    d: { dtype: "DT_DOUBLE", shape: [1], data: Float64Array.of(0.1 + 0.2) },
    b: { dtype: "DT_BOOL", shape: [1], data: Uint8Array.of(1) },
    i: { dtype: "DT_INT64", shape: [1], data: BigInt64Array.of(9223372036854775807n) },
    f: floats([1], [NaN]),
  };
  assert.equal(
    writePredictResponse(outputs, "row").replace(/\s/g, ""),
    '{"predictions":[{"b":true,"d":0.30000000000000004,"f":NaN,"i":9223372036854775807}]}',
  );
});

test("a zero batch answers an empty list", () => {
  assert.equal(
    writePredictResponse({ y: floats([0, 3], []) }, "row").replace(/\s/g, ""),
    '{"predictions":[]}',
  );
});

test("outputs with different batch sizes, or no shape, are TF Serving's errors", () => {
  assert.throws(
    () => writePredictResponse({ a: floats([2], [1, 2]), b: floats([3], [1, 2, 3]) }, "row"),
    (e: unknown) =>
      e instanceof ServingError &&
      e.message === "Tensor name: b has inconsistent batch size: 3 expecting: 2",
  );
  assert.throws(
    () => writePredictResponse({ a: floats([], [1]) }, "row"),
    (e: unknown) =>
      e instanceof ServingError && e.message === "Tensor name: a has no shape information ",
  );
  assert.throws(
    () => writePredictResponse({}, "row"),
    (e: unknown) =>
      e instanceof ServingError && e.message === "Cannot convert empty tensor map to JSON",
  );
});
