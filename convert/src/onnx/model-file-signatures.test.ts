import assert from "node:assert/strict";
import { test } from "node:test";
import { ElementType, encodeModel, type GraphProto } from "@servable/protocol";
import { floatConstant, int, node, tensorValue } from "./onnx-builder";
import { signaturesOfModelFile } from "./model-file-signatures";

/** Signatures read off ONNX graphs built here, without running them. */
const model = (graph: GraphProto) =>
  encodeModel({
    irVersion: 8,
    opsetImport: [
      { domain: "", version: 13 },
      { domain: "ai.onnx.ml", version: 3 },
    ],
    graph,
  });

test("serving_default: every input to feed (initializers are not), every output, free dimensions as -1 with their names", () => {
  const file = signaturesOfModelFile(
    model({
      name: "affine",
      node: [node("Add", ["x", "bias"], ["y"])],
      initializer: [floatConstant("bias", [1, 2, 3])],
      // IR < 4 lists initializers among the inputs too.
      input: [
        tensorValue("x", ElementType.FLOAT, ["batch", 3]),
        tensorValue("bias", ElementType.FLOAT, [3]),
      ],
      output: [tensorValue("y", ElementType.FLOAT, ["batch", 3])],
    }),
  );
  assert.deepEqual(Object.keys(file.signature_def), ["serving_default"]);
  const signature = file.signature_def.serving_default!;
  assert.equal(signature.method_name, "tensorflow/serving/predict");
  assert.deepEqual(Object.keys(signature.inputs), ["x"]);
  const x = signature.inputs.x!;
  assert.equal(x.dtype, "DT_FLOAT");
  assert.deepEqual(
    x.tensor_shape.dim.map((d) => [d.size, d.name]),
    [
      ["-1", "batch"],
      ["3", ""],
    ],
  );
  assert.equal(signature.outputs.y!.dtype, "DT_FLOAT");
});

// A classifier through ZipMap: server/src/formats/onnx/onnx-format.test.ts derives and runs one.

test("a tree ensemble regressor gets a regress signature", () => {
  const file = signaturesOfModelFile(
    model({
      name: "trees",
      node: [node("TreeEnsembleRegressor", ["x"], ["y"], { n_targets: int(1) }, "ai.onnx.ml")],
      input: [tensorValue("x", ElementType.FLOAT, ["N", 4])],
      output: [tensorValue("y", ElementType.FLOAT, ["N", 1])],
    }),
  );
  assert.deepEqual(Object.keys(file.signature_def), ["serving_default", "regress"]);
  assert.equal(file.signature_def.regress!.method_name, "tensorflow/serving/regress");
  assert.deepEqual(Object.keys(file.signature_def.regress!.outputs), ["outputs"]);
});

test("what Servable cannot serve is refused with the reason", () => {
  const refused = (graph: GraphProto, reason: RegExp) =>
    assert.throws(() => signaturesOfModelFile(model(graph)), reason);
  refused(
    {
      name: "bf16",
      node: [node("Identity", ["x"], ["y"])],
      input: [tensorValue("x", ElementType.BFLOAT16, [2])],
      output: [tensorValue("y", ElementType.BFLOAT16, [2])],
    },
    /tensor 'x' is bfloat16, which Servable's tensors cannot carry/,
  );
  const floats = { tensorType: { elemType: ElementType.FLOAT } };
  refused(
    {
      name: "seq",
      node: [node("SequenceLength", ["xs"], ["n"])],
      input: [{ name: "xs", type: { sequenceType: { elemType: floats } } }],
      output: [tensorValue("n", ElementType.INT64, [])],
    },
    /input 'xs' is a sequence; Servable feeds tensor inputs only/,
  );
  assert.throws(
    () => signaturesOfModelFile(new TextEncoder().encode("definitely not protobuf \u0000\u00ff")),
    /^ServingError: Not an ONNX model/,
  );
});
