import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { writeTfjsModel } from "@servable/convert";
import { readModelArtifacts } from "./model-artifacts";

/**
 * TF.js model folders as the kernel library exports them (@servable/convert's
 * writeTfjsModel), read back by the server's reader: the same model comes back.
 */
const work = mkdtempSync(join(tmpdir(), "model-artifacts-"));
after(() => rm(work, { recursive: true, force: true }));

/** `inputs` features, one hidden layer, two outputs. */
const mlp = (inputs: number, hidden: number): tf.LayersModel =>
  tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: hidden, activation: "relu" }),
      tf.layers.dense({ units: 2 }),
    ],
  });

async function predictFromFolder(dir: string, x: number[][]): Promise<number[][]> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(await readModelArtifacts(dir)));
  return (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync() as number[][];
}

const predict = (model: tf.LayersModel, x: number[][]) =>
  (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync() as number[][];

test("a layers model in one shard reads back as the same model", async () => {
  const model = mlp(3, 4);
  const dir = join(work, "small");
  await writeTfjsModel(model, dir);
  const x = [[1, 2, 3]];
  assert.deepEqual(await predictFromFolder(dir, x), predict(model, x));
});

test("weights over 4 MiB come back whole from their 4 MiB shards", async () => {
  const model = mlp(1000, 1200); // 1.2 M floats, 4.8 MB
  const dir = join(work, "big");
  await writeTfjsModel(model, dir);
  assert.equal((await readdir(dir)).filter((f) => f.endsWith(".bin")).length, 2);
  const x = [Array.from({ length: 1000 }, (_, i) => Math.sin(i))];
  const expected = predict(model, x);
  const got = await predictFromFolder(dir, x);
  got[0]!.forEach((v, i) => assert.ok(Math.abs(v - expected[0]![i]!) < 1e-5));
});

test("a graph model written again reads back and runs", async () => {
  const demo = join(__dirname, "..", "..", "..", "demo", "models", "half_plus_two", "1");
  const graph = await tf.loadGraphModel(tf.io.fromMemory(await readModelArtifacts(demo)));
  const dir = join(work, "graph");
  await writeTfjsModel(graph, dir);
  const reloaded = await tf.loadGraphModel(tf.io.fromMemory(await readModelArtifacts(dir)));
  const y = reloaded.execute({ x: tf.tensor2d([[1], [2]]) }, "y:0") as tf.Tensor;
  assert.deepEqual(y.arraySync(), [[2.5], [3]]);
});
