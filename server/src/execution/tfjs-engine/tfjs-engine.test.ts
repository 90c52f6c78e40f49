import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { ServingError, type TensorMap } from "@servable/protocol";
import { writeTfjsModel } from "@servable/convert";
import type { LoadContext } from "../../formats/model-format";
import { tfjsFormat } from "../../formats/tfjs/tfjs-format";
import { initTfjsBackend } from "../tfjs/tfjs-backend";
import { loadInThread } from "../version-loader";
import type { VersionRunner } from "../version-runner";
import type { TfjsEngine } from "./engine-choice";
import { engineDisagreement } from "./engine-agreement";

/**
 * The engine a TF.js version gets, on the wasm backend and onnxruntime, with models
 * written here: compiled to ONNX when it can be, kept on TF.js with the reason when not
 * (or failing under "onnxruntime"), and the agreement check that decides.
 */
const context: LoadContext = { logger: pino({ level: "silent" }), options: { savedModelTags: [] } };
const runners: VersionRunner[] = [];
let work: string;

before(async () => {
  await initTfjsBackend("wasm");
  work = await mkdtemp(join(tmpdir(), "servable-tfjs-engine-"));
});
after(async () => {
  await Promise.all(runners.map((r) => r.close()));
  await rm(work, { recursive: true, force: true });
});

async function write(name: string, layers: tf.layers.Layer[]): Promise<string> {
  const dir = join(work, name);
  const model = tf.sequential({ layers });
  await writeTfjsModel(model, dir);
  model.dispose();
  return dir;
}

async function load(dir: string, tfjsEngine?: TfjsEngine): Promise<VersionRunner> {
  const runner = await loadInThread(dir, tfjsFormat, context, { tfjsEngine });
  runners.push(runner);
  return runner;
}

const dense = (seed: number) =>
  tf.layers.dense({
    inputShape: [3],
    units: 2,
    activation: "tanh",
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    name: "out",
  });

const input = (runner: VersionRunner): TensorMap => {
  const [key] = Object.keys(runner.signatures.signature_def.serving_default!.inputs);
  return { [key!]: { dtype: "DT_FLOAT", shape: [2, 3], data: Float32Array.of(1, -2, 3, 0, 1, 1) } };
};

test("auto runs a model that compiles on ONNX Runtime, with the same signatures and answers", async () => {
  const dir = await write("dense", [dense(1)]);
  const tfjs = await load(dir, "tfjs");
  const auto = await load(dir, "auto");
  assert.match(tfjs.runtime, /^tfjs-/);
  assert.equal(auto.runtime, "onnxruntime");
  assert.equal(auto.engineReason, undefined);
  // TF.js numbers a model's tensors per load ("out/out_1", "out/out_2"): all else is equal.
  const unnamed = (runner: VersionRunner) =>
    JSON.stringify(runner.signatures).replace(/"name":"[^"]*_\d+"/g, '"name":""');
  assert.equal(unnamed(auto), unnamed(tfjs));
  const expected = await tfjs.run("serving_default", input(tfjs));
  const got = await auto.run("serving_default", input(auto));
  for (const [key, tensor] of Object.entries(expected)) {
    assert.deepEqual(got[key]!.shape, tensor.shape);
    (tensor.data as Float32Array).forEach((v, i) =>
      assert.ok(
        Math.abs((got[key]!.data as Float32Array)[i]! - v) <= 1e-5 * Math.max(1, Math.abs(v)),
      ),
    );
  }
});

test("without a setting, a TF.js version stays on TF.js, as before the flag", async () => {
  const runner = await load(await write("unset", [dense(2)]));
  assert.match(runner.runtime, /^tfjs-/);
  assert.equal(runner.engineReason, undefined);
});

test("a layer that does not compile: TF.js with the reason under auto, a failed load under onnxruntime", async () => {
  const dir = await write("recurrent", [
    tf.layers.reshape({ inputShape: [4], targetShape: [2, 2] }),
    tf.layers.simpleRNN({ units: 2, name: "memory" }),
  ]);
  const auto = await load(dir, "auto");
  assert.match(auto.runtime, /^tfjs-/);
  assert.match(
    auto.engineReason ?? "",
    /^layer memory \(SimpleRNN\): no ONNX operators are written for SimpleRNN layers/,
  );
  await assert.rejects(load(dir, "onnxruntime"), (error: unknown) => {
    assert.ok(error instanceof ServingError);
    assert.equal(error.code, "INVALID_ARGUMENT");
    assert.match(
      error.message,
      /^--tfjs_engine=onnxruntime cannot run this model on ONNX Runtime: layer memory \(SimpleRNN\)/,
    );
    return true;
  });
});

test("two engines that answer differently: the first difference, named", async () => {
  const a = await load(await write("a", [dense(3)]), "tfjs");
  const b = await load(await write("b", [dense(4)]), "tfjs");
  const same = await engineDisagreement(a, a, a.signatures, { reference: "A", candidate: "A" });
  assert.equal(same, undefined);
  const different = await engineDisagreement(a, b, a.signatures, {
    reference: "A",
    candidate: "B",
  });
  assert.match(
    different ?? "",
    /^on a sample input, signature serving_default output out: value 0 is -?[\d.e-]+ on B and -?[\d.e-]+ on A \(more than 0.00001 relative apart\)$/,
  );
});
