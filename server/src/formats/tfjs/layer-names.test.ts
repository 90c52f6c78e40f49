import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { initTfjsBackend } from "../../execution/tfjs/tfjs-backend";
import type { LoadContext } from "../model-format";
import { writeTfjsModel } from "@servable/convert";
import { loadInThread } from "../../execution/version-loader";
import { tfjsFormat } from "./tfjs-format";

const context: LoadContext = {
  logger: pino({ level: "silent" }),
  options: { savedModelTags: ["serve"] },
};
let work: string;
before(async () => {
  await initTfjsBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "servable-layer-names-"));
});
after(() => rm(work, { recursive: true, force: true }));

/** Saves `model` as model.json + one shard, with a signature file naming tensors by layer. */
async function writeVersion(dir: string, model: tf.LayersModel, input: string, output: string) {
  await writeTfjsModel(model, dir);
  const info = (name: string, size: number) => ({
    dtype: "DT_FLOAT",
    tensor_shape: { dim: [{ size: "-1" }, { size: String(size) }] },
    name,
  });
  await writeFile(
    join(dir, "signatures.json"),
    JSON.stringify({
      signature_def: {
        serving_default: {
          inputs: { x: info(input, 2) },
          outputs: { y: info(output, 3) },
          method_name: "tensorflow/serving/predict",
        },
      },
    }),
  );
}

const run = async (dir: string) => {
  const loaded = await loadInThread(dir, tfjsFormat, context);
  try {
    const out = await loaded.run("serving_default", {
      x: { dtype: "DT_FLOAT", shape: [1, 2], data: Float32Array.of(1, 2) },
    });
    return Array.from(out.y!.data as Float32Array);
  } finally {
    await loaded.close();
  }
};

test("signatures naming a layers model's tensors by layer load in every copy of the model", async () => {
  const input = tf.input({ shape: [2], name: "features" });
  const output = tf.layers.dense({ units: 3, name: "scores" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const expected = Array.from((model.predict(tf.tensor2d([[1, 2]])) as tf.Tensor).dataSync());
  const dir = join(work, "functional");
  await writeVersion(dir, model, "features", "scores");
  // The second load of the same model in one process gets renamed tensors (features_1...).
  for (let copy = 0; copy < 3; copy++) {
    const got = await run(dir);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6));
  }
});

test("a Sequential model (no inputNames until it runs) resolves through its tensors' layers", async () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 3, inputShape: [2], name: "only" })],
  });
  const dir = join(work, "sequential");
  await writeVersion(dir, model, "only_input", "only");
  assert.equal((await run(dir)).length, 3);
  assert.equal((await run(dir)).length, 3);
});
