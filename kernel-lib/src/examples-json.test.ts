import assert from "node:assert/strict";
import { test } from "node:test";
import { exampleFormat, examplesBody } from "./examples-json";

const info = (dtype: string) => ({
  dtype,
  tensor_shape: { dim: [], unknown_rank: true },
  name: "t",
});
const defs = {
  serving_default: {
    inputs: { measurements: info("DT_FLOAT") },
    outputs: { species: info("DT_FLOAT") },
    method_name: "tensorflow/serving/predict",
  },
  classify: {
    inputs: { measurements: info("DT_FLOAT"), count: info("DT_INT32") },
    outputs: { scores: info("DT_FLOAT") },
    method_name: "tensorflow/serving/classify",
  },
  parsed: {
    inputs: { inputs: info("DT_STRING") },
    outputs: { scores: info("DT_FLOAT") },
    method_name: "tensorflow/serving/classify",
  },
} as never;

test("whole numbers of float inputs are written as floats; int inputs and bigints as integers", () => {
  const format = exampleFormat(defs, "classify", undefined);
  assert.equal(format.rowFeature, undefined, "two inputs: no feature for rows");
  assert.equal(
    examplesBody([{ measurements: [6, 3.5, -1], count: 2, big: 7n }], format, "classify"),
    '{"signature_name": "classify", "examples": [{"measurements": [6.0, 3.5, -1.0], "count": 2, "big": 7}]}',
  );
});

test("a one-input signature names the feature rows fill", () => {
  const format = exampleFormat(defs, "serving_default", undefined);
  assert.equal(format.rowFeature, "measurements");
  assert.equal(exampleFormat(defs, "serving_default", "other").rowFeature, "other");
});

test("a signature parsing serialized tf.Examples gets floats, and the predict input's name for rows", () => {
  const format = exampleFormat(defs, "parsed", undefined);
  assert.equal(format.floats, "all");
  assert.equal(format.rowFeature, "measurements");
  assert.equal(
    examplesBody([{ measurements: [1, 2], id: 5n, name: "a" }], format, undefined),
    '{"examples": [{"measurements": [1.0, 2.0], "id": 5, "name": "a"}]}',
  );
});
