import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostTensor } from "@servable/protocol";
import { toServedOutputs } from "./classify-outputs";
import type { OutputRole, SignatureBinding } from "../../formats/onnx/onnx-signatures";

const binding = (roles: Record<string, OutputRole>, classLabels?: string[]): SignatureBinding => ({
  inputs: new Map(),
  outputs: new Map(Object.entries(roles).map(([key, role]) => [key, { fetch: key, role }])),
  classLabels,
});
const text = (t: HostTensor) => (t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b));
const labels: HostTensor = { dtype: "DT_INT64", shape: [2], data: BigInt64Array.of(7n, 3n) };
const doubles: HostTensor = {
  dtype: "DT_DOUBLE",
  shape: [2, 2],
  data: Float64Array.of(0.25, 0.75, 0.5, 0.5),
};

test("one label per example with scores: every class label, in score column order", () => {
  const out = toServedOutputs(
    { classes: labels, scores: doubles },
    binding({ classes: "classes", scores: "scores" }, ["3", "7"]),
  );
  assert.deepEqual(out.classes!.shape, [2, 2]);
  assert.deepEqual(text(out.classes!), ["3", "7", "3", "7"]);
  assert.equal(out.scores!.dtype, "DT_FLOAT");
  assert.deepEqual([...(out.scores!.data as Float32Array)], [0.25, 0.75, 0.5, 0.5]);
});

test("one label per example alone: the predicted label as a one-column matrix", () => {
  const out = toServedOutputs({ classes: labels }, binding({ classes: "classes" }));
  assert.deepEqual(out.classes!.shape, [2, 1]);
  assert.deepEqual(text(out.classes!), ["7", "3"]);
});

test("regress outputs become float32; predict outputs pass through untouched", () => {
  const out = toServedOutputs(
    { outputs: { dtype: "DT_DOUBLE", shape: [2], data: Float64Array.of(1.5, -2) }, raw: doubles },
    binding({ outputs: "regress", raw: "tensor" }),
  );
  assert.equal(out.outputs!.dtype, "DT_FLOAT");
  assert.deepEqual([...(out.outputs!.data as Float32Array)], [1.5, -2]);
  assert.equal(out.raw, doubles);
});
