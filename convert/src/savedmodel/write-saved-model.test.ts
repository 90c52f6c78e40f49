import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { savedModelFormat } from "@servable/server/dist/formats/savedmodel/savedmodel-format";
import {
  decodeMessage,
  type HostTensor,
  type TensorMap,
  serializeExample,
} from "@servable/protocol";
import { modelInputs } from "../model";
import { signatureFile, signatures } from "../signatures";
import { GRAPH_DEF_PRODUCER, UnexportableLayerError, writeSavedModel } from ".";

/**
 * Round trips: a TF.js model written as a SavedModel, loaded back by the server's
 * SavedModel reader, answers as the TF.js model does (to 1e-5); and the written graph
 * follows TensorFlow's rules for nodes and attrs.
 */
let work: string;
before(async () => {
  await tf.setBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "servable-export-"));
});
after(() => rm(work, { recursive: true, force: true }));

const context = { logger: pino({ level: "silent" }), options: { savedModelTags: ["serve"] } };

function denseModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 16, activation: "relu", inputShape: [4] }));
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 8, activation: "tanh" }));
  model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  randomizeBatchNorm(model);
  return model;
}

function cnnModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [12, 12, 3],
      filters: 8,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
    }),
  );
  model.add(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      depthMultiplier: 2,
      padding: "same",
      activation: "relu6",
    }),
  );
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 1, activation: "elu" }));
  model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 5, activation: "sigmoid" }));
  randomizeBatchNorm(model);
  return model;
}

function twoInputModel(): tf.LayersModel {
  const numbers = tf.input({ shape: [6], name: "numbers" });
  const tokens = tf.input({ shape: [5], name: "tokens" });
  const embedded = tf.layers
    .flatten()
    .apply(tf.layers.embedding({ inputDim: 10, outputDim: 4 }).apply(tokens)) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({ units: 8, activation: "tanh" })
    .apply(numbers) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([hidden, embedded]) as tf.SymbolicTensor;
  const mixed = tf.layers
    .dense({ units: 8, activation: "relu" })
    .apply(joined) as tf.SymbolicTensor;
  const skip = tf.layers.dense({ units: 8 }).apply(numbers) as tf.SymbolicTensor;
  const summed = tf.layers.add().apply([mixed, skip]) as tf.SymbolicTensor;
  const activated = tf.layers.leakyReLU({ alpha: 0.1 }).apply(summed) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 1, activation: "sigmoid", name: "score" })
    .apply(activated) as tf.SymbolicTensor;
  return tf.model({ inputs: [numbers, tokens], outputs: out });
}

/** A sequential model used as a layer, over token embeddings pooled along the sequence. */
function nestedModel(): tf.LayersModel {
  const inner = tf.sequential();
  inner.add(tf.layers.dense({ units: 6, activation: "swish", inputShape: [4] }));
  inner.add(tf.layers.reshape({ targetShape: [3, 2] }));
  inner.add(tf.layers.globalMaxPooling1d({}));
  const tokens = tf.input({ shape: [7], name: "tokens" });
  const pooled = tf.layers
    .globalAveragePooling1d({})
    .apply(tf.layers.embedding({ inputDim: 20, outputDim: 4 }).apply(tokens)) as tf.SymbolicTensor;
  const out = tf.layers
    .activation({ activation: "softplus" })
    .apply(inner.apply(pooled)) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: out });
}

/** Moving statistics away from 0 and 1, so that folding them is tested. */
function randomizeBatchNorm(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    layer.setWeights(
      layer
        .getWeights()
        .map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 2) : tf.randomNormal(w.shape))),
    );
  }
}

const host = (t: tf.Tensor): HostTensor => ({
  dtype: "DT_FLOAT",
  shape: t.shape,
  data: t.dataSync() as Float32Array,
});

async function servedOutputs(dir: string, name: string, inputs: TensorMap): Promise<TensorMap> {
  const { servable, unload } = await savedModelFormat.load(dir, context);
  try {
    return await servable.run(name, inputs);
  } finally {
    await unload();
  }
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= 1e-5,
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

describe("round trip through the server's SavedModel reader, to 1e-5", () => {
  const cases: [string, () => tf.LayersModel, () => tf.Tensor[]][] = [
    ["dense", denseModel, () => [tf.randomNormal([5, 4])]],
    ["cnn", cnnModel, () => [tf.randomNormal([3, 12, 12, 3])]],
    [
      "functional, two inputs",
      twoInputModel,
      () => [tf.randomNormal([4, 6]), tf.randomUniform([4, 5], 0, 10, "int32").toFloat()],
    ],
    [
      "a model nested as a layer",
      nestedModel,
      () => [tf.randomUniform([3, 7], 0, 20, "int32").toFloat()],
    ],
  ];
  for (const [label, build, inputs] of cases) {
    test(label, async () => {
      const model = build();
      const dir = join(work, label.replace(/\W+/g, "-"));
      const written = await writeSavedModel(model, dir);
      assert.deepEqual(Object.keys(written.signatures), ["serving_default"]);
      const xs = inputs();
      const expected = model.predict(xs) as tf.Tensor;
      // Keys are layer names (a Sequential model has them once it has run).
      const feeds = Object.fromEntries(model.inputNames.map((key, i) => [key, host(xs[i]!)]));
      const outputs = await servedOutputs(dir, "serving_default", feeds);
      const output = outputs[model.outputNames[0]!]!;
      assert.deepEqual(output.shape, expected.shape);
      assertClose(output.data as Float32Array, expected.dataSync() as Float32Array);
    });
  }
});

describe("the written graph follows TensorFlow's rules", () => {
  test("every node's op is defined, its required attrs present, defaults left out; names, versions, tags", async () => {
    const dir = join(work, "rules");
    await writeSavedModel(cnnModel(), dir);
    const saved = decodeMessage("SavedModel", await readFile(join(dir, "saved_model.pb")));
    assert.equal(saved.meta_graphs?.length, 1);
    const meta = saved.meta_graphs![0]!;
    assert.deepEqual(meta.meta_info_def?.tags, ["serve"]);
    assert.equal(meta.graph_def?.versions?.producer, GRAPH_DEF_PRODUCER);
    const ops = new Map(meta.meta_info_def!.stripped_op_list!.op!.map((o) => [o.name, o]));
    const names = new Set(meta.graph_def!.node!.map((n) => n.name));
    for (const node of meta.graph_def!.node!) {
      assert.match(node.name, /^[A-Za-z0-9.][A-Za-z0-9_./]*$/);
      const def = ops.get(node.op);
      assert.ok(def, `op ${node.op} is in the stripped op list`);
      for (const key of Object.keys(node.attr ?? {}))
        assert.ok(
          def.attr?.some((a) => a.name === key),
          `${node.op} has attr ${key}`,
        );
      for (const a of def.attr ?? []) {
        if (!a.default_value)
          assert.ok(node.attr?.[a.name], `${node.name}: required attr ${a.name}`);
      }
      for (const ref of node.input ?? [])
        assert.ok(names.has(ref.replace(/^\^/, "").split(":")[0]!), `${node.name} reads ${ref}`);
      if (node.op === "Const") {
        const dims = node.attr!.value!.tensor!.tensor_shape?.dim ?? [];
        assert.ok(
          dims.every((d) => Number(d.size ?? 0) >= 0),
          "Const shapes are fully defined",
        );
      }
      if (node.op === "Conv2D") {
        assert.equal(node.attr?.data_format, undefined, "NHWC is the default, left out");
        assert.equal(node.attr?.dilations, undefined);
      }
    }
    assert.deepEqual((await readdir(dir)).sort(), ["saved_model.pb", "variables"]);
  });
});

describe("classify and regress signatures are written in TF Serving's form", () => {
  test("serialized tf.Examples in, scores and class labels out", async () => {
    const model = denseModel();
    const dir = join(work, "classify");
    const file = signatureFile({
      serving_default: signatures.predict(model),
      classify: signatures.classify(model, { classes: ["setosa", "versicolor", "virginica"] }),
    });
    const written = await writeSavedModel(model, dir, file);
    const classify = written.signatures.classify!;
    assert.deepEqual(Object.keys(classify.inputs), ["inputs"]);
    assert.equal(classify.inputs.inputs!.dtype, "DT_STRING");
    assert.deepEqual(Object.keys(classify.outputs).sort(), ["classes", "scores"]);

    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ];
    const feature = modelInputs(model)[0]!.key;
    const examples: HostTensor = {
      dtype: "DT_STRING",
      shape: [rows.length],
      data: rows.map((values) =>
        serializeExample(new Map([[feature, { kind: "float" as const, values }]])),
      ),
    };
    const outputs = await servedOutputs(dir, "classify", { inputs: examples });
    assertClose(
      outputs.scores!.data as Float32Array,
      (model.predict(tf.tensor(rows)) as tf.Tensor).dataSync() as Float32Array,
    );
    assert.deepEqual(outputs.classes!.shape, [2, 3]);
    assert.deepEqual(
      (outputs.classes!.data as Uint8Array[]).map((b) => new TextDecoder().decode(b)),
      ["setosa", "versicolor", "virginica", "setosa", "versicolor", "virginica"],
    );
  });

  test("regress: one value per example", async () => {
    const model = twoInputModel();
    const dir = join(work, "regress");
    await writeSavedModel(model, dir, signatureFile({ regress: signatures.regress(model) }));
    const numbers = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
    const tokens = [1, 2, 3, 4, 9];
    const example = serializeExample(
      new Map([
        ["numbers", { kind: "float" as const, values: numbers }],
        ["tokens", { kind: "float" as const, values: tokens }],
      ]),
    );
    const outputs = await servedOutputs(dir, "regress", {
      inputs: { dtype: "DT_STRING", shape: [1], data: [example] },
    });
    const expected = model.predict([tf.tensor([numbers]), tf.tensor([tokens])]) as tf.Tensor;
    assertClose(outputs.outputs!.data as Float32Array, expected.dataSync() as Float32Array);
  });
});

test("a layer that cannot be exported fails before anything is written", async () => {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 4, inputShape: [3, 2] }));
  const dir = join(work, "unexportable");
  await assert.rejects(writeSavedModel(model, dir), (e: Error) => {
    assert.ok(e instanceof UnexportableLayerError);
    assert.match(e.message, /layer lstm_\w+ \(LSTM\) cannot be exported as a SavedModel/);
    return true;
  });
  await assert.rejects(readdir(dir), { code: "ENOENT" });
});
