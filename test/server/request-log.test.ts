import assert from "node:assert/strict";
import { cp, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { requestLogFiles } from "@servable/protocol";
import { readRequestLog, type LoggedRequest } from "../../kernel-lib/src";
import { metricsText, metricValue } from "../support/prometheus-text";
import { freePort, postJson, ROOT, servingClient, startServer, unary, waitFor } from "../support";
import type { ServerProcess, ServingClient } from "../support";

/**
 * Request logging (`logging_config` in the model config file): with sampling_rate 1 every
 * REST and gRPC predict, classify and regress request of the model is written, with its
 * answer, as a PredictionLog record, and the kernel library reads the log back with the
 * same inputs; with 0 nothing is; the files rotate at --request_log_max_file_bytes.
 */
let work: string;
let logs: string;
let server: ServerProcess;
let prediction: ServingClient;

const MAX_FILE_BYTES = 600;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-request-log-"));
  logs = join(work, "logs");
  const models = join(work, "models");
  await cp(join(ROOT, "server", "demo", "models", "half_plus_two"), join(models, "logged"), {
    recursive: true,
  });
  await cp(join(ROOT, "server", "demo", "models", "half_plus_two"), join(models, "unlogged"), {
    recursive: true,
  });
  await cp(join(ROOT, "server", "demo", "models", "half_plus_two"), join(models, "unwritable"), {
    recursive: true,
  });
  // A file where the log's folder should be: no record of this model can be written.
  await writeFile(join(work, "blocker"), "not a folder");
  const config = join(work, "models.config");
  await writeFile(
    config,
    `model_config_list {
      config {
        name: "logged"
        base_path: "${join(models, "logged")}"
        logging_config {
          log_collector_config { type: "" filename_prefix: "${join(logs, "logged")}" }
          sampling_config { sampling_rate: 1.0 }
        }
      }
      config {
        name: "unlogged"
        base_path: "${join(models, "unlogged")}"
        logging_config {
          log_collector_config { filename_prefix: "${join(logs, "unlogged")}" }
          sampling_config { sampling_rate: 0 }
        }
      }
      config {
        name: "unwritable"
        base_path: "${join(models, "unwritable")}"
        logging_config {
          log_collector_config { filename_prefix: "${join(work, "blocker", "unwritable")}" }
          sampling_config { sampling_rate: 1 }
        }
      }
    }`,
  );
  const port = await freePort();
  server = await startServer([
    `--model_config_file=${config}`,
    `--port=${port}`,
    `--request_log_max_file_bytes=${MAX_FILE_BYTES}`,
    "--request_log_max_files=0",
  ]);
  prediction = servingClient("PredictionService", `127.0.0.1:${port}`);
});
after(async () => {
  prediction?.close();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

async function readAll(prefix: string): Promise<LoggedRequest[]> {
  const out: LoggedRequest[] = [];
  for await (const entry of readRequestLog(prefix)) out.push(entry);
  return out;
}

test("sampling_rate 1 logs every request, REST and gRPC, and the log reads back with its inputs", async () => {
  const url = (model: string, method: string) => `${server.url}/v1/models/${model}:${method}`;
  // The unlogged model's requests come first: by the time the logged ones are written,
  // theirs would have been too.
  for (let i = 0; i < 5; i++) {
    assert.equal(
      (await postJson(url("unlogged", "predict"), '{"instances": [[1.0]]}')).status,
      200,
    );
  }
  const predicted = await postJson(
    url("logged", "predict"),
    '{"instances": [[1.0], [2.0], [5.0]]}',
  );
  assert.equal(predicted.status, 200);
  const classified = await postJson(
    url("logged", "classify"),
    '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 2.0}]}',
  );
  assert.equal(classified.status, 200, classified.text);
  const regressed = await postJson(
    url("logged", "regress"),
    '{"signature_name": "regress_x_to_y", "examples": [{"x": 3.0}]}',
  );
  assert.equal(regressed.status, 200, regressed.text);
  await unary(prediction, "Predict", {
    model_spec: { name: "logged" },
    inputs: {
      x: {
        dtype: "DT_FLOAT",
        tensor_shape: { dim: [{ size: 1 }, { size: 1 }] },
        float_val: [7],
      },
    },
  });

  const prefix = join(logs, "logged");
  const entries = await waitFor(async () => {
    const found = await readAll(prefix).catch(() => []);
    return found.length >= 4 ? found : undefined;
  });
  assert.deepEqual(
    entries.map((e) => [e.kind, e.model, e.version, e.signature]),
    [
      ["predict", "logged", 1, "serving_default"],
      ["classify", "logged", 1, "classify_x_to_y"],
      ["regress", "logged", 1, "regress_x_to_y"],
      ["predict", "logged", 1, "serving_default"],
    ],
  );
  assert.deepEqual({ ...entries[0]!.inputs }, { x: [[1], [2], [5]] });
  assert.deepEqual(
    entries[1]!.examples?.map((e) => ({ ...e })),
    [{ x: [1] }, { x: [2] }],
  );
  assert.deepEqual(
    entries[2]!.examples?.map((e) => ({ ...e })),
    [{ x: [3] }],
  );
  assert.deepEqual({ ...entries[3]!.inputs }, { x: [[7]] });
  // The answers are logged as TF Serving's response messages.
  const response = entries[2]!.response as { result: { regressions: { value: number }[] } };
  assert.deepEqual(response.result.regressions, [{ value: 3.5 }]);
  assert.ok(
    entries.every(
      (e) => e.time instanceof Date && Math.abs(e.time.getTime() - Date.now()) < 600_000,
    ),
  );

  assert.deepEqual(
    await requestLogFiles(join(logs, "unlogged")),
    [],
    "sampling_rate 0 logs nothing",
  );
  const text = await metricsText(server.url);
  assert.equal(
    metricValue(text, ":tensorflow:serving:request_log_count", {
      model_name: "logged",
      status_code: "OK",
    }),
    4,
  );
  assert.equal(
    metricValue(text, ":tensorflow:serving:request_log_count", { model_name: "unlogged" }),
    undefined,
  );
});

test("the log rotates at --request_log_max_file_bytes and reads back whole across its files", async () => {
  const before = (await readAll(join(logs, "logged"))).length;
  for (let i = 0; i < 12; i++) {
    const res = await postJson(
      `${server.url}/v1/models/logged:predict`,
      `{"instances": [[${i}.5]]}`,
    );
    assert.equal(res.status, 200);
  }
  const prefix = join(logs, "logged");
  const entries = await waitFor(async () => {
    const found = await readAll(prefix);
    return found.length >= before + 12 ? found : undefined;
  });
  assert.deepEqual(
    entries.slice(before).map((e) => ({ ...e.inputs })),
    Array.from({ length: 12 }, (_, i) => ({ x: [[i + 0.5]] })),
  );
  const files = await requestLogFiles(prefix);
  assert.ok(files.length > 2, `${files.length} files`);
  for (const file of files) assert.ok((await stat(file.path)).size <= MAX_FILE_BYTES, file.path);
});

test("a log that cannot be written costs the request nothing: answered, counted, warned", async () => {
  for (let i = 0; i < 3; i++) {
    const res = await postJson(
      `${server.url}/v1/models/unwritable:predict`,
      '{"instances": [[2.0]]}',
    );
    assert.equal(res.status, 200);
    assert.equal(res.text.replace(/\s/g, ""), '{"predictions":[[3.0]]}');
  }
  const failed = await waitFor(async () => {
    const text = await metricsText(server.url);
    const count = metricValue(text, ":tensorflow:serving:request_log_count", {
      model_name: "unwritable",
      status_code: "INTERNAL",
    });
    return count === 3 ? count : undefined;
  });
  assert.equal(failed, 3);
  const warnings = server.logs.filter(
    (l) => typeof l.msg === "string" && l.msg.startsWith(`Request log ${join(work, "blocker")}`),
  );
  assert.equal(warnings.length, 1, "one warning a minute, not one a record");
});
