import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { signatureFile, signatures } from "./signatures";

function irisModel(): tf.LayersModel {
  const input = tf.input({ shape: [4], name: "measurements" });
  const hidden = tf.layers
    .dense({ units: 8, activation: "relu" })
    .apply(input) as tf.SymbolicTensor;
  const species = tf.layers
    .dense({ units: 3, activation: "softmax", name: "species" })
    .apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: species });
}

const tensor = (name: string, dims: string[]) => ({
  dtype: "DT_FLOAT",
  tensor_shape: { dim: dims.map((size) => ({ size, name: "" })), unknown_rank: false },
  name,
});

test("predict signatures key a layers model's inputs and outputs by layer, as TF Serving prints them", () => {
  const model = irisModel();
  assert.deepEqual(signatures.predict(model), {
    def: {
      inputs: { measurements: tensor("measurements", ["-1", "4"]) },
      outputs: { species: tensor("species", ["-1", "3"]) },
      method_name: "tensorflow/serving/predict",
    },
  });
});

test("keys can be renamed, and tensors named by key, tensor name or the tensor itself", () => {
  const model = irisModel();
  const byKey = signatures.predict(model, {
    inputs: { x: "measurements" },
    outputs: { p: "species" },
  });
  const byTensor = signatures.predict(model, {
    inputs: { x: model.inputs[0]! },
    outputs: { p: model.outputs[0]!.name },
  });
  assert.deepEqual(byKey, byTensor);
  assert.deepEqual(Object.keys(byKey.def.inputs), ["x"]);
  assert.equal(byKey.def.outputs.p!.name, "species");
});

test("classify names its classes and checks them against the scores", () => {
  const model = irisModel();
  const spec = signatures.classify(model, { classes: ["setosa", "versicolor", "virginica"] });
  assert.equal(spec.def.method_name, "tensorflow/serving/classify");
  assert.deepEqual(Object.keys(spec.def.outputs), ["scores"]);
  assert.deepEqual(spec.classLabels, ["setosa", "versicolor", "virginica"]);
  assert.throws(
    () => signatures.classify(model, { classes: ["a", "b"] }),
    /2 classes given, but species scores 3/,
  );
  assert.throws(() => signatures.classify(model, { classes: [] }), /needs \{classes/);
});

test("regress has one output named outputs", () => {
  const input = tf.input({ shape: [2], name: "x" });
  const y = tf.layers.dense({ units: 1, name: "y" }).apply(input) as tf.SymbolicTensor;
  const spec = signatures.regress(tf.model({ inputs: input, outputs: y }));
  assert.equal(spec.def.method_name, "tensorflow/serving/regress");
  assert.deepEqual(Object.keys(spec.def.outputs), ["outputs"]);
});

test("a tensor that is not an input or output of the model is refused at once", () => {
  const model = irisModel();
  assert.throws(
    () => signatures.predict(model, { outputs: { hidden: "dense_Dense1/Relu" } }),
    /dense_Dense1\/Relu is not an output of the model; its outputs are species/,
  );
  const two = tf.model({
    inputs: model.inputs,
    outputs: [model.outputs[0]!, model.layers[1]!.output as tf.SymbolicTensor],
  });
  assert.throws(() => signatures.classify(two, { classes: ["a", "b", "c"] }), /has 2 outputs/);
});

test("signatureFile gathers signatures and class labels into the file the server reads", () => {
  const model = irisModel();
  const file = signatureFile({
    serving_default: signatures.predict(model),
    classify: signatures.classify(model, { classes: ["a", "b", "c"] }),
  });
  assert.deepEqual(Object.keys(file.signature_def), ["serving_default", "classify"]);
  assert.deepEqual(file.class_labels, { classify: ["a", "b", "c"] });
  // A whole file passes through, checked as the server checks it.
  assert.deepEqual(signatureFile(file), file);
  assert.throws(
    () =>
      signatureFile({
        signature_def: { bad: { inputs: {}, outputs: { y: { name: "y" } }, method_name: "m" } },
      } as never),
    /signatures.json: signature bad: tensor y needs a "name" and a TensorFlow "dtype"/,
  );
  assert.throws(
    () => signatureFile({ oops: { inputs: {} } } as never),
    /Signature oops is not a signature/,
  );
});

test("a Sequential model works as a functional one", () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3], name: "only" })],
  });
  const spec = signatures.predict(model);
  assert.deepEqual(Object.keys(spec.def.outputs), ["only"]);
  assert.equal(spec.def.outputs.only!.name, "only");
  assert.deepEqual(Object.keys(spec.def.inputs), ["only_input"]);
  assert.equal(Object.values(spec.def.inputs)[0]!.tensor_shape.dim.length, 2);
});
