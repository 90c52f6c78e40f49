import assert from "node:assert/strict";
import { test } from "node:test";
import { ElementType, encodeModel, type GraphProto } from "@servable/protocol";
import { floatConstant, floats, int, ints, node, string, tensorValue } from "./onnx-builder";
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
  assert.deepEqual(signature.inputs.x, {
    dtype: "DT_FLOAT",
    tensor_shape: {
      dim: [
        { size: "-1", name: "batch" },
        { size: "3", name: "" },
      ],
      unknown_rank: false,
    },
    name: "x",
  });
  assert.equal(signature.outputs.y!.dtype, "DT_FLOAT");
});

test("a classifier through ZipMap: classify with the classifier's labels, the probability matrix as scores", () => {
  const file = signaturesOfModelFile(
    model({
      name: "linear",
      node: [
        node(
          "LinearClassifier",
          ["x"],
          ["label", "scores"],
          {
            coefficients: floats([1, 0, 0, 1]),
            classlabels_ints: ints([10, 20]),
            post_transform: string("SOFTMAX"),
          },
          "ai.onnx.ml",
        ),
        node(
          "ZipMap",
          ["scores"],
          ["probabilities"],
          { classlabels_int64s: ints([10, 20]) },
          "ai.onnx.ml",
        ),
      ],
      input: [tensorValue("x", ElementType.FLOAT, ["N", 2])],
      output: [
        tensorValue("label", ElementType.INT64, ["N"]),
        {
          name: "probabilities",
          type: {
            sequenceType: {
              elemType: {
                mapType: {
                  keyType: ElementType.INT64,
                  valueType: { tensorType: { elemType: ElementType.FLOAT } },
                },
              },
            },
          },
        },
      ],
    }),
  );
  assert.deepEqual(Object.keys(file.signature_def), ["serving_default", "classify"]);
  assert.deepEqual(file.class_labels, { classify: ["10", "20"] });
  const classify = file.signature_def.classify!;
  assert.equal(classify.method_name, "tensorflow/serving/classify");
  assert.equal(classify.outputs.classes!.name, "label");
  assert.equal(classify.outputs.scores!.name, "probabilities");
  assert.deepEqual(
    classify.outputs.scores!.tensor_shape.dim.map((d) => d.size),
    ["-1", "2"],
  );
});

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
  assert.throws(
    () =>
      signaturesOfModelFile(
        model({
          name: "bf16",
          node: [node("Identity", ["x"], ["y"])],
          input: [tensorValue("x", ElementType.BFLOAT16, [2])],
          output: [tensorValue("y", ElementType.BFLOAT16, [2])],
        }),
      ),
    /tensor 'x' is bfloat16, which Servable's tensors cannot carry/,
  );
  assert.throws(
    () =>
      signaturesOfModelFile(
        model({
          name: "seq",
          node: [node("SequenceLength", ["xs"], ["n"])],
          input: [
            {
              name: "xs",
              type: { sequenceType: { elemType: { tensorType: { elemType: ElementType.FLOAT } } } },
            },
          ],
          output: [tensorValue("n", ElementType.INT64, [])],
        }),
      ),
    /input 'xs' is a sequence; Servable feeds tensor inputs only/,
  );
  assert.throws(
    () => signaturesOfModelFile(new TextEncoder().encode("definitely not protobuf \u0000\u00ff")),
    /^ServingError: Not an ONNX model/,
  );
});
