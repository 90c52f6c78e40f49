import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  halfPlusTwoOnnx,
  installVersion,
  linearVersion,
  postJson,
  serverForTests,
  serverInScratchFolder,
  startServer,
  versionInState,
  waitFor,
} from "../support";
import { metricsText, metricValue } from "../support/prometheus-text";
import { floatTensor, predictLog, writeWarmupFile } from "../support/warmup-files";

/**
 * Model warmup (--enable_model_warmup, TF Serving's saved_model_warmup_util.cc): a
 * version's assets.extra/tf_serving_warmup_requests is replayed before the version is
 * AVAILABLE, for TF.js and ONNX versions alike (SavedModel: test/kernel-lib/warmup.test.ts);
 * a record that fails, a file that is not TFRecord and a file of more than 1000 records
 * each end the version at once, with TF Serving's texts, under TF Serving's default
 * retry settings (5 retries a minute apart), which a retried failure would sit out.
 */
let repository: string;

const metric = metricValue;
const metrics = metricsText;

/** y = 0.5 x + 2 on ONNX Runtime. */
async function onnxVersion(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.onnx"), halfPlusTwoOnnx());
}

const x = (n: number) =>
  floatTensor(
    [n, 1],
    Array.from({ length: n }, (_, i) => i),
  );

const server = serverInScratchFolder("servable-warmup-", async (scratch) => {
  repository = join(scratch.path, "models");
  await installVersion(join(repository, "tfjs_warm"), 1, async (d) => {
    await linearVersion(d, 2);
    await writeWarmupFile(d, [
      predictLog({ x: x(1) }),
      predictLog({ x: x(4) }),
      predictLog({ x: x(32) }),
    ]);
  });
  await installVersion(join(repository, "onnx_warm"), 1, async (d) => {
    await onnxVersion(d);
    await writeWarmupFile(d, [
      predictLog({ x: floatTensor([3], [1, 2, 3]) }),
      predictLog({ x: floatTensor([1], [7]) }),
    ]);
  });
  await installVersion(join(repository, "bad_request"), 1, async (d) => {
    await linearVersion(d, 2);
    await writeWarmupFile(d, [predictLog({ x: x(1) }), predictLog({ nope: x(1) })]);
  });
  await installVersion(join(repository, "not_tfrecord"), 1, async (d) => {
    await linearVersion(d, 2);
    const path = await writeWarmupFile(d, [predictLog({ x: x(1) }), predictLog({ x: x(2) })]);
    const bytes = await readFile(path);
    bytes[bytes.length - 6] ^= 0xff; // a byte of the second record's data
    await writeFile(path, bytes);
  });
  await installVersion(join(repository, "too_many"), 1, async (d) => {
    await linearVersion(d, 2);
    await writeWarmupFile(
      d,
      Array.from({ length: 1001 }, () => predictLog({ x: x(1) })),
    );
  });
  return scratch.startServer([
    `--model_repository=${repository}`,
    "--file_system_poll_wait_seconds=1",
    "--num_request_iterations_for_warmup=2",
  ]);
});

test("TF.js and ONNX versions replay their warmup records before they are AVAILABLE", async () => {
  for (const [model, records] of [
    ["tfjs_warm", 3],
    ["onnx_warm", 2],
  ] as const) {
    await waitFor(() => versionInState(server.url, model, "AVAILABLE"), 30_000, 50);
    const text = await metrics(server.url);
    const labels = { model_path: join(repository, model, "1"), status: "OK" };
    assert.equal(metric(text, ":tensorflow:serving:model_warmup_records_read", labels), records);
    assert.equal(
      metric(text, ":tensorflow:serving:model_warmup_latency_count", labels),
      1,
      `${model}: one warmup, timed`,
    );
    // Warmup requests are not client requests: the request counter has not seen the model.
    assert.equal(
      metric(text, ":tensorflow:serving:request_count", { model_name: model }),
      undefined,
    );
    const log = server.logs.find(
      (l) =>
        l.model === model &&
        typeof l.msg === "string" &&
        l.msg.startsWith("Finished reading warmup data"),
    );
    assert.ok(log, `${model}: the load logs its warmup`);
    assert.equal(log.warmupRecords, records);
    assert.equal(typeof log.warmupMs, "number");
  }
  const answer = await postJson(
    `${server.url}/v1/models/onnx_warm:predict`,
    '{"instances": [2.0]}',
  );
  assert.equal(answer.text.replace(/\s/g, ""), '{"predictions":[3.0]}');
});

test("a warmup record that fails ends the version with the request's error", async () => {
  const ended = await waitFor(() => versionInState(server.url, "bad_request", "END"), 20_000, 50);
  assert.equal(ended.status.error_code, "INVALID_ARGUMENT");
  assert.equal(
    ended.status.error_message,
    // The text of TF Serving's gRPC Predict for the same request (warmup runs that path).
    "Signature input alias: x(feed name: x:0) not found in request and no default value provided. Inputs expected to be in the request {nope}, or default input alias set: ",
  );
  const text = await metrics(server.url);
  const labels = { model_path: join(repository, "bad_request", "1"), status: "INVALID_ARGUMENT" };
  assert.equal(metric(text, ":tensorflow:serving:model_warmup_latency_count", labels), 1);
});

test("a corrupt warmup file ends the version at once, naming the file and the record", async () => {
  const ended = await waitFor(() => versionInState(server.url, "not_tfrecord", "END"), 20_000, 50);
  const path = join(repository, "not_tfrecord", "1", "assets.extra", "tf_serving_warmup_requests");
  assert.equal(ended.status.error_code, "DATA_LOSS");
  assert.match(
    ended.status.error_message,
    new RegExp(
      `^corrupted record at \\d+ \\(record 1 of ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\): .*\\. Please verify your warmup data is in TFRecord format\\.$`,
    ),
  );
});

test("more than 1000 warmup records end the version with TF Serving's text", async () => {
  const ended = await waitFor(() => versionInState(server.url, "too_many", "END"), 20_000, 50);
  const path = join(repository, "too_many", "1", "assets.extra", "tf_serving_warmup_requests");
  assert.equal(ended.status.error_code, "INVALID_ARGUMENT");
  assert.equal(
    ended.status.error_message,
    `Number of warmup records exceeds the maximum (1000) at ${path}`,
  );
});

describe("--enable_model_warmup=false", () => {
  const cold = serverForTests(() =>
    startServer([
      `--model_repository=${repository}`,
      "--file_system_poll_wait_seconds=0",
      "--enable_model_warmup=false",
    ]),
  );

  test("leaves the warmup file alone: the version with a failing record loads", async () => {
    await waitFor(() => versionInState(cold.url, "bad_request", "AVAILABLE"), 20_000, 50);
    const text = await metrics(cold.url);
    assert.ok(!text.includes("model_warmup_records_read{"), "no warmup ran");
  });
});
