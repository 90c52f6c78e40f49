import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { decodePredictionLog, readTfRecordFile } from "@servable/protocol";
import { exportModel, predict } from "../../kernel-lib/src";
import { metricsText, metricValue } from "../support/prometheus-text";
import { getJson, startServer, waitFor, type ServerProcess } from "../support";

/**
 * `exportModel(model, dir, { warmup })` writes TF Serving's warmup file from `:predict`
 * bodies; a server loading the export replays every request before the version serves,
 * in TF.js and in SavedModel form.
 */
let work: string;
let server: ServerProcess;
const model = (() => {
  const input = tf.input({ shape: [3], name: "features" });
  const output = tf.layers
    .dense({
      units: 2,
      name: "scores",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
})();
const warmup = [
  { instances: [[1, 2, 3]] },
  { instances: [{ features: [1, 2, 3] }, { features: [4, 5, 6] }] },
  { inputs: { features: [[0, 0, 0]] } },
];

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-warmup-export-"));
  const repository = join(work, "models");
  await exportModel(model, repository, { name: "warm_tfjs", warmup });
  await exportModel(model, repository, { name: "warm_savedmodel", format: "savedmodel", warmup });
  server = await startServer([`--model_repository=${repository}`]);
});
after(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

test("the warmup file holds one PredictRequest per request, in the signature's dtypes", async () => {
  const path = join(work, "models", "warm_tfjs", "1", "assets.extra", "tf_serving_warmup_requests");
  const logs = (await readTfRecordFile(path)).map(decodePredictionLog);
  assert.equal(logs.length, 3);
  const second = logs[1]!.predict_log!.request!;
  assert.equal(second.model_spec?.signature_name, "serving_default");
  assert.deepEqual(second.inputs?.features, {
    dtype: "DT_FLOAT",
    tensor_shape: { dim: [{ size: "2" }, { size: "3" }] },
    float_val: [1, 2, 3, 4, 5, 6],
  });
});

test("the server replays the export's warmup requests before the version serves", async () => {
  for (const name of ["warm_tfjs", "warm_savedmodel"]) {
    await waitFor(async () => {
      const res = await getJson(`${server.url}/v1/models/${name}`);
      const state = (res.json as { model_version_status?: { state: string }[] })
        ?.model_version_status?.[0]?.state;
      return state === "AVAILABLE" ? true : undefined;
    });
    const text = await metricsText(server.url);
    const labels = { model_path: join(work, "models", name, "1"), status: "OK" };
    assert.equal(
      metricValue(text, ":tensorflow:serving:model_warmup_records_read", labels),
      3,
      `${name}: three warmup records read`,
    );
    const answer = await predict(name, [[1, 2, 3]], { server: server.url });
    const expected = (
      model.predict(tf.tensor2d([[1, 2, 3]])) as tf.Tensor
    ).arraySync() as number[][];
    for (const [i, value] of expected[0]!.entries()) {
      assert.ok(Math.abs(answer[0]![i]! - value) < 1e-5, `${name}: output ${i}`);
    }
  }
});

test("a request that does not fit the signature is refused when exporting", async () => {
  await assert.rejects(
    exportModel(model, join(work, "refused"), { name: "m", warmup: [{ inputs: { nope: [[1]] } }] }),
    /warmup\[0\]: nope is not an input of serving_default \(its inputs are features\)/,
  );
});
