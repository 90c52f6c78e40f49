import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  CLASSIFY_METHOD,
  decodeMessage,
  PREDICT_METHOD,
  REGRESS_METHOD,
  tensorInfo,
  type NodeDef,
  type SignatureFile,
} from "@servable/protocol";
import { UnexportableLayerError } from "../tfjs/tfjs-model";
import { GRAPH_DEF_PRODUCER, writeSavedModel } from ".";

/**
 * The SavedModel writer's graphs follow TensorFlow's rules for nodes and attrs, and its
 * classify and regress signatures take TF Serving's form. That the server runs what it
 * writes and answers as the TF.js model does (to 1e-5) is tested across the parts, in
 * test/savedmodel/exported-models.test.ts.
 */
let work: string;
before(async () => {
  await tf.setBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "servable-savedmodel-"));
});
after(() => rm(work, { recursive: true, force: true }));

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
  const info = (name: string, dims: number[]) => tensorInfo(name, "DT_FLOAT", dims);

  async function written(model: tf.LayersModel, name: string, file: SignatureFile) {
    const dir = join(work, name);
    const result = await writeSavedModel(model, dir, file);
    const saved = decodeMessage("SavedModel", await readFile(join(dir, "saved_model.pb")));
    return { result, nodes: saved.meta_graphs![0]!.graph_def!.node! };
  }

  const byName = (nodes: NodeDef[], name: string) => nodes.find((n) => n.name === name);

  test("classify: serialized tf.Examples in, each input parsed from its feature; scores and class labels out", async () => {
    const model = denseModel();
    const input = model.inputs[0]!;
    const { result, nodes } = await written(model, "classify", {
      signature_def: {
        serving_default: {
          inputs: { x: info(input.name, [-1, 4]) },
          outputs: { y: info(model.outputs[0]!.name, [-1, 3]) },
          method_name: PREDICT_METHOD,
        },
        classify: {
          inputs: { petals: info(input.name, [-1, 4]) },
          outputs: { scores: info(model.outputs[0]!.name, [-1, 3]) },
          method_name: CLASSIFY_METHOD,
        },
      },
      class_labels: { classify: ["setosa", "versicolor", "virginica"] },
    });
    const classify = result.signatures.classify!;
    assert.deepEqual(Object.keys(classify.inputs), ["inputs"]);
    assert.equal(classify.inputs.inputs!.dtype, "DT_STRING");
    assert.deepEqual(Object.keys(classify.outputs).sort(), ["classes", "scores"]);
    assert.deepEqual(
      classify.outputs.classes!.tensor_shape.dim.map((d) => d.size),
      ["-1", "3"],
    );
    const parse = byName(nodes, "classify/ParseExample/ParseExample");
    assert.equal(parse?.op, "ParseExample");
    assert.equal(parse!.input![0], classify.inputs.inputs!.name.replace(/:0$/, ""));
    const key = byName(nodes, "classify/ParseExample/dense_keys_0")!.attr!.value!.tensor!;
    assert.equal(new TextDecoder().decode(key.string_val![0]), "petals");
    const labels = byName(nodes, "classify/classes/labels")!.attr!.value!.tensor!;
    assert.deepEqual(
      labels.string_val!.map((b) => new TextDecoder().decode(b)),
      ["setosa", "versicolor", "virginica"],
    );
    // The predict signature still feeds the model's own input.
    assert.equal(result.signatures.serving_default!.inputs.x!.dtype, "DT_FLOAT");
  });

  test("regress: every model input parsed from tf.Examples, one output", async () => {
    const model = twoInputModel();
    const [numbers, tokens] = model.inputs;
    const { result, nodes } = await written(model, "regress", {
      signature_def: {
        regress: {
          inputs: { numbers: info(numbers!.name, [-1, 6]), tokens: info(tokens!.name, [-1, 5]) },
          outputs: { outputs: info(model.outputs[0]!.name, [-1, 1]) },
          method_name: REGRESS_METHOD,
        },
      },
    });
    assert.deepEqual(Object.keys(result.signatures.regress!.inputs), ["inputs"]);
    assert.deepEqual(Object.keys(result.signatures.regress!.outputs), ["outputs"]);
    const parse = byName(nodes, "regress/ParseExample/ParseExample")!;
    assert.equal(parse.attr!.Ndense!.i, "2");
  });

  test("a classify signature with two outputs is refused before anything is written", async () => {
    const model = denseModel();
    const out = info(model.outputs[0]!.name, [-1, 3]);
    const dir = join(work, "two-outputs");
    await assert.rejects(
      writeSavedModel(model, dir, {
        signature_def: {
          classify: {
            inputs: { x: info(model.inputs[0]!.name, [-1, 4]) },
            outputs: { scores: out, extra: out },
            method_name: CLASSIFY_METHOD,
          },
        },
      }),
      /needs exactly one output, "scores"/,
    );
    await assert.rejects(readdir(dir), { code: "ENOENT" });
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
