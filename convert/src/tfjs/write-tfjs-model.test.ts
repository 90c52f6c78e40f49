import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_SIGNATURE, PREDICT_METHOD, tensorInfo } from "@servable/protocol";
import { writeTfjsModel } from "./write-tfjs-model";

/**
 * The folder TF.js's converter would write: model.json whose manifest lists the shards
 * in order, shards of at most 4 MiB that hold the model's weights byte for byte. (The
 * server reading such folders back as the same model: server/src/formats/tfjs.)
 */
let work: string;
before(async () => {
  await tf.setBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "write-tfjs-model-"));
});
after(() => rm(work, { recursive: true, force: true }));

function mlp(inputs: number, hidden: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: hidden, activation: "relu", inputShape: [inputs] }));
  model.add(tf.layers.dense({ units: 2 }));
  return model;
}

/** The weights as the model itself saves them. */
async function savedWeights(model: tf.LayersModel): Promise<Buffer> {
  let data: tf.io.WeightData | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      data = artifacts.weightData;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const buffers = Array.isArray(data) ? data : [data!];
  return Buffer.concat(buffers.map((b) => new Uint8Array(b)));
}

test("weights over 4 MiB are split into 4 MiB shards that hold them byte for byte", async () => {
  const model = mlp(1000, 1200); // 1.2 M floats, 4.8 MB
  const dir = join(work, "big");
  await writeTfjsModel(model, dir);
  assert.deepEqual((await readdir(dir)).sort(), [
    "group1-shard1of2.bin",
    "group1-shard2of2.bin",
    "model.json",
  ]);
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
  assert.deepEqual(json.weightsManifest[0]!.paths, [
    "group1-shard1of2.bin",
    "group1-shard2of2.bin",
  ]);
  assert.deepEqual(
    json.weightsManifest[0]!.weights.map((w) => w.name),
    model.weights.map((w) => w.originalName),
  );
  assert.equal(json.format, "layers-model");
  const shards = await Promise.all(
    json.weightsManifest[0]!.paths.map((path) => readFile(join(dir, path))),
  );
  assert.equal(shards[0]!.byteLength, 4 * 1024 * 1024);
  assert.ok(Buffer.concat(shards).equals(await savedWeights(model)));
});

test("signatures are written beside the model as Servable's signature file", async () => {
  const model = mlp(3, 4);
  const dir = join(work, "signed");
  const signatures = {
    signature_def: {
      [DEFAULT_SIGNATURE]: {
        inputs: { x: tensorInfo("x", "DT_FLOAT", [-1, 3]) },
        outputs: { y: tensorInfo("y", "DT_FLOAT", [-1, 2]) },
        method_name: PREDICT_METHOD,
      },
    },
  };
  await writeTfjsModel(model, dir, signatures);
  assert.deepEqual((await readdir(dir)).sort(), [
    "group1-shard1of1.bin",
    "model.json",
    "signatures.json",
  ]);
  assert.deepEqual(JSON.parse(await readFile(join(dir, "signatures.json"), "utf8")), signatures);
});

test("a model that saves no topology is refused before anything is written", async () => {
  const dir = join(work, "nothing");
  const notSaved = {
    inputs: [],
    outputs: [],
    save: async () => ({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    }),
  } as unknown as tf.LayersModel;
  await assert.rejects(writeTfjsModel(notSaved, dir), /saved no topology/);
  await assert.rejects(readdir(dir), { code: "ENOENT" });
});
