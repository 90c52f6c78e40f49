import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { ElementType, decodeModel } from "@servable/protocol";
import { agreesWithin, seededRandom } from "./compiled-agreement";
import { describeGraph } from "./onnx-graph";
import { compileLayersModel } from "./tfjs-to-onnx";

/**
 * Each layer kind the compiler writes, in a small model, compiled and run on
 * onnxruntime against TF.js's own `predict` on the same inputs: every value must agree
 * within 1e-5 relative (|onnx - tfjs| <= 1e-5 * max(1, |tfjs|)).
 */

function sample(
  shape: readonly (number | null)[],
  rows: number,
  seed: number,
  ints = 0,
): tf.Tensor {
  const dims = [rows, ...shape.slice(1).map((d) => d ?? 4)];
  const random = seededRandom(seed);
  const size = dims.reduce((a, b) => a * b, 1);
  // Indices (for an Embedding) are whole numbers in a float32 input, as TF.js feeds them.
  const value = ints > 0 ? () => Math.floor(random() * ints) : () => random() * 4 - 2;
  return tf.tensor(Float32Array.from({ length: size }, value), dims);
}

async function agree(model: tf.LayersModel, options: { rows?: number; ints?: number } = {}) {
  const compiled = compileLayersModel(model);
  assert.ok(compiled.compiled, compiled.compiled ? "" : compiled.reason);
  const graph = describeGraph(decodeModel(compiled.onnx));
  assert.deepEqual(
    graph.inputs.map((i) => i.name),
    model.inputs.map((t) => t.name),
  );
  assert.deepEqual(
    graph.outputs.map((o) => o.name),
    model.outputs.map((t) => t.name),
  );
  const session = await InferenceSession.create(compiled.onnx);
  try {
    for (const rows of [1, options.rows ?? 3]) {
      const inputs = model.inputs.map((t, i) => sample(t.shape, rows, 7 + i, options.ints));
      const feeds: Record<string, Tensor> = {};
      for (const [i, t] of model.inputs.entries()) {
        const x = inputs[i]!;
        feeds[t.name] = new Tensor("float32", x.dataSync() as Float32Array, x.shape);
      }
      const expected = [model.predict(inputs)].flat() as tf.Tensor[];
      const results = await session.run(feeds);
      model.outputs.forEach((t, i) => {
        const got = results[t.name]!;
        assert.deepEqual([...got.dims], expected[i]!.shape, `${t.name} shape`);
        const want = expected[i]!.dataSync();
        const data = got.data as Float32Array;
        for (let k = 0; k < want.length; k++) {
          assert.ok(
            agreesWithin(data[k]!, want[k]!),
            `${t.name}[${k}]: onnx ${data[k]} tfjs ${want[k]}`,
          );
        }
      });
      tf.dispose([...inputs, ...expected]);
    }
  } finally {
    await session.release();
  }
}

const ACTIVATIONS = [
  "linear",
  "relu",
  "sigmoid",
  "tanh",
  "softmax",
  "elu",
  "selu",
  "softplus",
  "softsign",
  "relu6",
  "hardSigmoid",
  "swish",
  "mish",
  "gelu",
  "gelu_new",
  "logSoftmax",
] as const;

// TF.js registers logSoftmax under that name, though its typings leave it out.
type DenseActivation = Parameters<typeof tf.layers.dense>[0]["activation"];

for (const name of ACTIVATIONS) {
  const activation = name as DenseActivation;
  test(`Dense with ${name}`, async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 5, activation }),
        tf.layers.dense({ units: 4, activation, useBias: false }),
      ],
    });
    await agree(model);
  });
}

test("Dense on a rank-3 input, Flatten, Reshape, Dropout and Activation layers", async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [12], targetShape: [3, 4] }),
      tf.layers.dense({ units: 5, activation: "relu" }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.flatten(),
      tf.layers.activation({ activation: "tanh" }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  await agree(model);
});

test("activation layers: ReLU (with and without a maximum), LeakyReLU, ELU, Softmax", async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [5], units: 8 }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 8 }),
      tf.layers.elu(),
      tf.layers.dense({ units: 8 }),
      tf.layers.reLU({ maxValue: 1.5 }),
      tf.layers.dense({ units: 8 }),
      tf.layers.reLU(),
      tf.layers.dense({ units: 3 }),
      tf.layers.softmax(),
    ],
  });
  await agree(model);
});

test("BatchNormalization with trained statistics, after Dense and after Conv2D", async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: "same" }),
      tf.layers.batchNormalization({ epsilon: 0.01 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
      tf.layers.batchNormalization({ center: false }),
    ],
  });
  const random = seededRandom(3);
  for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
    layer.setWeights(
      layer.getWeights().map((w) => {
        const values = Float32Array.from({ length: w.size }, () => random() * 2 + 0.1);
        return tf.tensor(values, w.shape);
      }),
    );
  }
  await agree(model);
});

for (const padding of ["valid", "same"] as const) {
  test(`Conv2D, DepthwiseConv2D and pools with ${padding} padding, strides and dilation`, async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [13, 11, 3],
          filters: 4,
          kernelSize: [3, 2],
          strides: [2, 1],
          padding,
          activation: "relu",
        }),
        tf.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: "same" }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding }),
        tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding }),
        tf.layers.averagePooling2d({ poolSize: [2, 3], padding }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    await agree(model);
  });
}

test("global pools, 2D and 1D", async () => {
  const image = tf.input({ shape: [5, 4, 3] });
  const sequence = tf.input({ shape: [6, 2] });
  const model = tf.model({
    inputs: [image, sequence],
    outputs: [
      tf.layers.globalAveragePooling2d({}).apply(image) as tf.SymbolicTensor,
      tf.layers.globalMaxPooling2d({}).apply(image) as tf.SymbolicTensor,
      tf.layers.globalAveragePooling1d().apply(sequence) as tf.SymbolicTensor,
      tf.layers.globalMaxPooling1d().apply(sequence) as tf.SymbolicTensor,
    ],
  });
  await agree(model);
});

test("merge layers: Add, Multiply, Average, Maximum, Minimum, Concatenate; a shared layer", async () => {
  const a = tf.input({ shape: [4], name: "a" });
  const b = tf.input({ shape: [4], name: "b" });
  const shared = tf.layers.dense({ units: 4, activation: "tanh" });
  const sa = shared.apply(a) as tf.SymbolicTensor;
  const sb = shared.apply(b) as tf.SymbolicTensor;
  const merged = [
    tf.layers.add().apply([sa, sb, a]),
    tf.layers.multiply().apply([sa, sb, b]),
    tf.layers.average().apply([sa, sb]),
    tf.layers.maximum().apply([sa, b]),
    tf.layers.minimum().apply([sa, b]),
  ] as tf.SymbolicTensor[];
  const joined = tf.layers.concatenate().apply(merged) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: "out" }).apply(joined) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: [out, sa] });
  await agree(model);
});

test("a model used as a layer is followed through", async () => {
  const inner = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: "relu" })],
  });
  const model = tf.sequential({
    layers: [inner, tf.layers.dense({ units: 2, activation: "sigmoid" })],
  });
  await agree(model);
});

test("Embedding, its indices fed as float32", async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 4 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  assert.equal(model.inputs[0]!.dtype, "float32");
  await agree(model, { ints: 10 });
});

test("the batch dimension is free, the others are the model's", () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
  const compiled = compileLayersModel(model);
  assert.ok(compiled.compiled);
  const [input] = describeGraph(decodeModel(compiled.onnx)).inputs;
  assert.ok(input?.kind === "tensor");
  assert.equal(input.elemType, ElementType.FLOAT);
  assert.deepEqual(input.dims, [
    { size: -1, name: "N" },
    { size: 3, name: "" },
  ]);
});

test("a layer without an ONNX form is not compiled, and the reason names it and its class", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3, name: "first" }),
      tf.layers.reshape({ targetShape: [3, 1] }),
      tf.layers.simpleRNN({ units: 2, name: "recurrent" }),
    ],
  });
  const result = compileLayersModel(model);
  assert.equal(result.compiled, false);
  assert.match(
    result.compiled ? "" : result.reason,
    /^layer recurrent \(SimpleRNN\): no ONNX operators are written for SimpleRNN layers/,
  );
});

test("an activation or setting without an ONNX form is named too", () => {
  const channelsFirst = tf.sequential({
    layers: [
      tf.layers.maxPooling2d({
        inputShape: [2, 4, 4],
        poolSize: 2,
        dataFormat: "channelsFirst",
        name: "pool",
      }),
    ],
  });
  const result = compileLayersModel(channelsFirst);
  assert.deepEqual(result, {
    compiled: false,
    reason: "layer pool (MaxPooling2D): only channelsLast data is supported",
  });
});
