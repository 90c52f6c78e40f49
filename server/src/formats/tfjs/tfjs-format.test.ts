import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { ServingError, type TensorMap } from "@servable/protocol";
import { initTfjsBackend } from "../../execution/tfjs/tfjs-backend";
import type { LoadContext } from "../model-format";
import { VersionDirectoryLoader } from "../../execution/version-loader";
import { writeTfjsModel } from "@servable/convert";
import { tfjsFormat } from "./tfjs-format";

const DEMO = join(__dirname, "..", "..", "..", "demo", "models", "half_plus_two", "1");
const context: LoadContext = {
  logger: pino({ level: "silent" }),
  options: { savedModelTags: ["serve"] },
};

let work: string;
before(async () => {
  await initTfjsBackend("wasm");
  work = await mkdtemp(join(tmpdir(), "servable-tfjs-format-"));
});
after(() => rm(work, { recursive: true, force: true }));

const column = (values: number[]): TensorMap => ({
  x: { dtype: "DT_FLOAT", shape: [values.length, 1], data: Float32Array.from(values) },
});

const memory = () => {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, numBytes };
};

/** A small layers model (dense 64 -> 32) written as model.json + weights, as TF.js saves it. */
async function writeSmallModel(dir: string): Promise<void> {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [64], units: 32, activation: "relu" })],
  });
  await writeTfjsModel(model, dir);
  model.dispose();
}

test("the demo graph model loads with its signatures and answers y = 0.5x + 2", async () => {
  const loaded = await tfjsFormat.load(DEMO, context);
  try {
    assert.deepEqual(Object.keys(loaded.servable.signatures.signature_def).sort(), [
      "classify_x2_to_y3",
      "classify_x_to_y",
      "regress_x2_to_y3",
      "regress_x_to_y",
      "regress_x_to_y2",
      "serving_default",
    ]);
    const out = await loaded.servable.run("serving_default", column([1, 2, 5]));
    assert.deepEqual(out.y!.shape, [3, 1]);
    assert.deepEqual([...(out.y!.data as Float32Array)], [2.5, 3, 4.5]);
  } finally {
    await loaded.unload();
  }
});

test("unload frees every tensor a graph model took: tf.memory() returns to where it was", async () => {
  const baseline = memory();
  const loaded = await tfjsFormat.load(DEMO, context);
  assert.ok(memory().numTensors > baseline.numTensors, "weights are tensors while loaded");
  for (let i = 0; i < 20; i++) await loaded.servable.run("regress_x_to_y2", column([i, i + 1]));
  await loaded.unload();
  assert.deepEqual(memory(), baseline);
});

test("unload frees a layers model's weights too, after many requests", async () => {
  const dir = join(work, "layers");
  await mkdir(dir, { recursive: true });
  await writeSmallModel(dir);
  const baseline = memory();
  const loaded = await tfjsFormat.load(dir, context);
  const loadedMemory = memory();
  assert.ok(loadedMemory.numBytes >= baseline.numBytes + (64 * 32 + 32) * 4, "weights held");
  const [signature] = Object.keys(loaded.servable.signatures.signature_def);
  const inputKey = Object.keys(loaded.servable.signatures.signature_def[signature!]!.inputs)[0]!;
  for (let i = 0; i < 50; i++) {
    const out = await loaded.servable.run(signature!, {
      [inputKey]: { dtype: "DT_FLOAT", shape: [4, 64], data: new Float32Array(256).fill(i / 50) },
    });
    assert.deepEqual(Object.values(out)[0]!.shape, [4, 32]);
  }
  assert.deepEqual(memory(), loadedMemory, "requests leave nothing behind");
  // A request the model cannot run (10 features for 64) fails and leaves nothing either.
  await assert.rejects(
    loaded.servable.run(signature!, {
      [inputKey]: { dtype: "DT_FLOAT", shape: [1, 10], data: new Float32Array(10) },
    }),
    (e: unknown) => e instanceof ServingError && e.code === "INVALID_ARGUMENT",
  );
  assert.deepEqual(memory(), loadedMemory, "a failed request leaves nothing");
  await loaded.unload();
  assert.deepEqual(memory(), baseline);
});

test("the version loader: estimate is files x 1.2; load and unload through it", async () => {
  const loader = new VersionDirectoryLoader(DEMO, [tfjsFormat], context);
  const estimate = await loader.estimateResources();
  assert.ok(estimate.diskBytes! > 0);
  assert.equal(estimate.ramBytes, Math.ceil(estimate.diskBytes! * 1.2));
  const baseline = memory();
  const servable = await loader.load();
  assert.equal(servable.runtime, "tfjs-wasm");
  await loader.unload();
  assert.deepEqual(memory(), baseline);
});

test("corrupt versions fail to load with a non-retryable error that says why", async () => {
  const cases: [string, (dir: string) => Promise<void>, RegExp][] = [
    [
      "not-json",
      (d) => writeFile(join(d, "model.json"), "{ not json"),
      /model\.json in .* cannot be read/,
    ],
    [
      "truncated",
      async (d) => {
        await cp(DEMO, d, { recursive: true });
        await writeFile(join(d, "group1-shard1of1.bin"), Buffer.alloc(3));
      },
      /are truncated: the manifest needs 20 bytes, the shards hold 3/,
    ],
    [
      "missing-shard",
      async (d) => {
        await cp(DEMO, d, { recursive: true });
        await rm(join(d, "group1-shard1of1.bin"));
      },
      /Weight shard group1-shard1of1\.bin cannot be read/,
    ],
    [
      "empty",
      async () => undefined,
      /No model found in .*: expected one of model\.json \(TF\.js\)/,
    ],
  ];
  for (const [name, make, message] of cases) {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await make(dir);
    const before = memory();
    const loader = new VersionDirectoryLoader(dir, [tfjsFormat], context);
    await assert.rejects(loader.load(), (e: unknown) => {
      assert.ok(e instanceof ServingError, String(e));
      assert.equal(e.retryable, false, name);
      assert.match(e.message, message);
      return true;
    });
    assert.deepEqual(memory(), before, `${name}: a failed load keeps nothing`);
  }
});
