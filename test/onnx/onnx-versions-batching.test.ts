import assert from "node:assert/strict";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { getJson, postJson, startServer } from "../support";
import { assertClose, columnarBody, readExpected, rowBody, sliceRows } from "./support/fixtures";
import { serveFixtures } from "./support/served-fixtures";

/**
 * ONNX versions behind TF Serving's versions and labels (from a model config file), and
 * behind dynamic batching with worker-thread replicas, each with its own onnxruntime
 * session.
 */
const served = serveFixtures(["pytorch_models.py"], async (fixtures) => {
  // One model, two versions: version 1 the MLP, version 2 the CNN, on the same digits.
  const digits = join(fixtures, "digits");
  await mkdir(digits);
  await cp(join(fixtures, "models", "mlp", "1"), join(digits, "1"), { recursive: true });
  await cp(join(fixtures, "models", "cnn", "1"), join(digits, "2"), { recursive: true });
  const config = join(fixtures, "models.config");
  await writeFile(
    config,
    `model_config_list {
  config {
    name: "digits"
    base_path: "${digits}"
    model_platform: "onnx"
    model_version_policy { all {} }
    version_labels { key: "stable" value: 1 }
    version_labels { key: "canary" value: 2 }
  }
}
`,
  );
  const batching = join(fixtures, "batching.config");
  await writeFile(
    batching,
    "max_batch_size { value: 32 }\nbatch_timeout_micros { value: 5000 }\nnum_batch_threads { value: 2 }\n",
  );
  return startServer([
    `--model_config_file=${config}`,
    "--enable_batching",
    `--batching_parameters_file=${batching}`,
    "--model_replicas=2",
  ]);
});

test("versions and labels route to their ONNX versions", async () => {
  const mlp = await readExpected(served.fixtures, "mlp");
  const cnn = await readExpected(served.fixtures, "cnn");
  const status = await getJson(`${served.server.url}/v1/models/digits`);
  const states = (status.json as { model_version_status: { version: string; state: string }[] })
    .model_version_status;
  assert.deepEqual(states.map((s) => [s.version, s.state]).sort(), [
    ["1", "AVAILABLE"],
    ["2", "AVAILABLE"],
  ]);
  for (const [path, expected, output] of [
    ["versions/1", mlp, "logits"],
    ["labels/stable", mlp, "logits"],
    ["versions/2", cnn, "probabilities"],
    ["labels/canary", cnn, "probabilities"],
  ] as const) {
    const answer = await postJson(
      `${served.server.url}/v1/models/digits/${path}:predict`,
      columnarBody(expected),
    );
    assert.equal(answer.status, 200, `${path}: ${answer.text}`);
    assertClose(
      (answer.json as { outputs: unknown }).outputs,
      expected.outputs[output]!,
      1e-5,
      path,
    );
  }
  const latest = await getJson(`${served.server.url}/v1/models/digits/metadata`);
  const inputs = (
    latest.json as {
      metadata: { signature_def: { signature_def: { serving_default: { inputs: object } } } };
    }
  ).metadata.signature_def.signature_def.serving_default.inputs;
  assert.deepEqual(Object.keys(inputs), ["image"], "the latest version is the CNN");
});

test("concurrent single rows are batched across replicas and each gets its own answer", async () => {
  const mlp = await readExpected(served.fixtures, "mlp");
  const x = mlp.inputs.x!;
  const logits = mlp.outputs.logits!;
  const rows = x.shape[0]!;
  const requests = Array.from({ length: 40 }, (_, i) => i % rows);
  const answers = await Promise.all(
    requests.map((r) =>
      postJson(
        `${served.server.url}/v1/models/digits/versions/1:predict`,
        rowBody(sliceRows(x, r, r + 1)),
      ),
    ),
  );
  answers.forEach((answer, i) => {
    assert.equal(answer.status, 200, answer.text);
    const r = requests[i]!;
    assertClose(
      (answer.json as { predictions: unknown }).predictions,
      sliceRows(logits, r, r + 1),
      1e-5,
      `request ${i}`,
    );
  });
  const metrics = await (await fetch(`${served.server.url}/monitoring/prometheus/metrics`)).text();
  const series = '{model_name="digits",version="1"}';
  const sum = Number(new RegExp(`input_batch_size_sum${series} (\\d+)`).exec(metrics)?.[1]);
  const count = Number(new RegExp(`input_batch_size_count${series} (\\d+)`).exec(metrics)?.[1]);
  assert.ok(count > 0 && sum / count > 1, `requests were merged: ${sum} rows in ${count} batches`);
});
