import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { ServingError, type TensorMap } from "@servable/protocol";
import { initTfjsBackend } from "../../execution/tfjs/tfjs-backend";
import type { LoadContext } from "../model-format";
import { writeTfjsModel } from "@servable/convert";
import { loadInThread, VersionDirectoryLoader } from "../../execution/version-loader";
import { tfjsFormat } from "./tfjs-format";

const DEMO = join(__dirname, "..", "..", "..", "demo", "models", "half_plus_two", "1");
const context: LoadContext = {
  logger: pino({ level: "silent" }),
  options: { savedModelTags: ["serve"] },
};
const ID = { name: "m", version: 1 };
const loaderOf = (dir: string) =>
  new VersionDirectoryLoader(ID, dir, {
    formats: [tfjsFormat],
    formatOptions: context.options,
    execution: { replicas: 0 },
    logger: context.logger,
  });

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
  const loaded = await loadInThread(DEMO, tfjsFormat, context);
  try {
    assert.deepEqual(Object.keys(loaded.signatures.signature_def).sort(), [
      "classify_x2_to_y3",
      "classify_x_to_y",
      "regress_x2_to_y3",
      "regress_x_to_y",
      "regress_x_to_y2",
      "serving_default",
    ]);
    const out = await loaded.run("serving_default", column([1, 2, 5]));
    assert.deepEqual(out.y!.shape, [3, 1]);
    assert.deepEqual([...(out.y!.data as Float32Array)], [2.5, 3, 4.5]);
  } finally {
    await loaded.close();
  }
});

test("unload frees every tensor a graph model took: tf.memory() returns to where it was", async () => {
  const baseline = memory();
  const loaded = await loadInThread(DEMO, tfjsFormat, context);
  assert.ok(memory().numTensors > baseline.numTensors, "weights are tensors while loaded");
  for (let i = 0; i < 20; i++) await loaded.run("regress_x_to_y2", column([i, i + 1]));
  await loaded.close();
  assert.deepEqual(memory(), baseline);
});

test("unload frees a layers model's weights too, after many requests", async () => {
  const dir = join(work, "layers");
  await mkdir(dir, { recursive: true });
  await writeSmallModel(dir);
  const baseline = memory();
  const loaded = await loadInThread(dir, tfjsFormat, context);
  const loadedMemory = memory();
  assert.ok(loadedMemory.numBytes >= baseline.numBytes + (64 * 32 + 32) * 4, "weights held");
  const [signature] = Object.keys(loaded.signatures.signature_def);
  const inputKey = Object.keys(loaded.signatures.signature_def[signature!]!.inputs)[0]!;
  for (let i = 0; i < 50; i++) {
    const out = await loaded.run(signature!, {
      [inputKey]: { dtype: "DT_FLOAT", shape: [4, 64], data: new Float32Array(256).fill(i / 50) },
    });
    assert.deepEqual(Object.values(out)[0]!.shape, [4, 32]);
  }
  assert.deepEqual(memory(), loadedMemory, "requests leave nothing behind");
  // A request the model cannot run (10 features for 64) fails and leaves nothing either.
  await assert.rejects(
    loaded.run(signature!, {
      [inputKey]: { dtype: "DT_FLOAT", shape: [1, 10], data: new Float32Array(10) },
    }),
    (e: unknown) => e instanceof ServingError && e.code === "INVALID_ARGUMENT",
  );
  assert.deepEqual(memory(), loadedMemory, "a failed request leaves nothing");
  await loaded.close();
  assert.deepEqual(memory(), baseline);
});

test("the version loader: estimate is files x 1.2; load and unload through it", async () => {
  const loader = loaderOf(DEMO);
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
      /model\.json in .*: does not parse/,
    ],
    [
      "truncated",
      async (d) => {
        await cp(DEMO, d, { recursive: true });
        await writeFile(join(d, "group1-shard1of1.bin"), Buffer.alloc(3));
      },
      /are truncated: model\.json's weightsManifest needs 20 bytes, the shards hold 3/,
    ],
    [
      "missing-shard",
      async (d) => {
        await cp(DEMO, d, { recursive: true });
        await rm(join(d, "group1-shard1of1.bin"));
      },
      /weightsManifest\[0\]\.paths\[0\] names group1-shard1of1\.bin, which is missing/,
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
    const loader = loaderOf(dir);
    await assert.rejects(loader.load(), (e: unknown) => {
      assert.ok(e instanceof ServingError, String(e));
      assert.equal(e.retryable, false, name);
      assert.match(e.message, message);
      return true;
    });
    assert.deepEqual(memory(), before, `${name}: a failed load keeps nothing`);
  }
});

/**
 * The error the demo model's load fails with once `file` of a copy of it (folder `name`)
 * holds `text`: it must be a ServingError that ends the version, not one to retry.
 */
async function finalLoadError(name: string, file: string, text: string): Promise<ServingError> {
  const dir = join(work, name);
  await cp(DEMO, dir, { recursive: true });
  await writeFile(join(dir, file), text);
  try {
    await loaderOf(dir).load();
  } catch (error) {
    assert.ok(error instanceof ServingError, `${name}: ${String(error)}`);
    assert.equal(error.retryable, false, name);
    return error;
  }
  assert.fail(`${name}: the load succeeded`);
}

test("a model.json that contradicts itself ends its version at once, naming the file and field", async () => {
  const demoJson = JSON.parse(await readFile(join(DEMO, "model.json"), "utf8")) as {
    weightsManifest: { paths: unknown[]; weights: unknown[] }[];
  };
  const withManifest = (manifest: unknown) =>
    JSON.stringify({ ...demoJson, weightsManifest: manifest });
  const group = demoJson.weightsManifest[0]!;
  const cases: [string, string, RegExp][] = [
    [
      "manifest-number",
      withManifest(5),
      /"weightsManifest" must be a list of weight groups, not 5/,
    ],
    [
      "path-number",
      withManifest([{ ...group, paths: [123] }]),
      /weightsManifest\[0\]\.paths\[0\] must be a file name, not 123/,
    ],
    [
      "shape-text",
      withManifest([{ ...group, weights: [{ name: "w", shape: "3", dtype: "float32" }] }]),
      /weightsManifest\[0\]\.weights\[0\]\.shape must be a list of sizes/,
    ],
    [
      "no-topology",
      JSON.stringify({ format: "graph-model" }),
      /"modelTopology" must be an object, not missing/,
    ],
    ["not-an-object", "[1, 2]", /must be a JSON object, not \[1,2\]/],
    [
      "graph-without-versions",
      JSON.stringify({ ...demoJson, format: "graph-model", modelTopology: { node: [] } }),
      /"modelTopology\.versions" must be an object, not missing/,
    ],
    [
      "graph-node-number",
      JSON.stringify({ ...demoJson, format: "graph-model", modelTopology: { node: [7] } }),
      /modelTopology\.node\[0\] must be \{"name", "op", \.\.\.\}, not 7/,
    ],
  ];
  for (const [name, json, message] of cases) {
    const error = await finalLoadError(name, "model.json", json);
    assert.equal(error.code, "INVALID_ARGUMENT", name);
    assert.match(error.message, /^model\.json in .*: /, name);
    assert.match(error.message, message, name);
  }
});

test("a signature file that does not parse or has the wrong shape ends the version, naming it", async () => {
  const cases: [string, string, RegExp][] = [
    ["sig-not-json", "{", /signatures\.json in .* does not parse/],
    [
      "sig-shape",
      JSON.stringify({
        signature_def: {
          serving_default: {
            inputs: { x: { name: "x", dtype: "DT_FLOAT", tensor_shape: 5 } },
            outputs: {},
            method_name: "tensorflow/serving/predict",
          },
        },
      }),
      /signatures\.json in .*: signature_def\.serving_default\.inputs\.x\.tensor_shape must be/,
    ],
  ];
  for (const [name, text, message] of cases) {
    const error = await finalLoadError(name, "signatures.json", text);
    assert.match(error.message, message, name);
  }
});
