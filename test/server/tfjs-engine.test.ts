import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { ListedVersion, ModelListResponse } from "@servable/protocol";
import { exportModel, signatures } from "../../kernel-lib/src";
import { makeModelRepository, MLP_INPUT } from "../../bench/models";
import { DEMO_REPOSITORY, getJson, postJson, startServer, type ServerProcess } from "../support";
import { cnn, dense, nested, scorer, twoInputs } from "../support/tfjs-test-models";

/**
 * TF.js models on both engines (--tfjs_engine), through real servers on one repository:
 * one runs every TF.js model on TF.js (`tfjs`), one compiles what it can to ONNX (`auto`,
 * the default, here with batching on), and every model answers both alike, to 1e-5
 * relative (|auto - tfjs| <= 1e-5 * max(1, |tfjs|)): predict, and classify and regress
 * where the model has them. A model with a layer that has no ONNX form stays on TF.js
 * under auto, its status saying why; under `onnxruntime` it fails its load naming the
 * layer, and the models that compile serve.
 */
let work: string;
let onTfjs: ServerProcess;
let onAuto: ServerProcess;
let forced: ServerProcess;

const CLASSES = ["setosa", "versicolor", "virginica"];

/** Deterministic rows: floats in [-2, 2), or whole numbers below `ints` (token ids). */
function rows(count: number, shape: number[], seed: number, ints = 0): unknown[] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const make = (dims: number[]): unknown =>
    dims.length === 0
      ? ints > 0
        ? Math.floor(next() * ints)
        : next() * 4 - 2
      : Array.from({ length: dims[0]! }, () => make(dims.slice(1)));
  return make([count, ...shape]) as unknown[];
}

/** A model with a recurrent layer, which the compiler does not write. */
function recurrent(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 6, activation: "relu" }),
      tf.layers.reshape({ targetShape: [3, 2] }),
      tf.layers.simpleRNN({ units: 3, name: "memory" }),
      tf.layers.dense({ units: 2 }),
    ],
  });
}

/** predict instances of each TF.js model: one input as rows, several as named columns. */
const INSTANCES: Record<string, unknown> = {
  dense: rows(4, [4], 1),
  cnn: rows(3, [8, 8, 1], 2),
  two_inputs: rows(3, [3], 3).map((a, i) => ({ a, b: rows(3, [2], 4)[i] })),
  scorer: rows(4, [6], 5).map((numbers, i) => ({ numbers, tokens: rows(4, [5], 6, 10)[i] })),
  nested: rows(3, [7], 7, 20),
  mlp: rows(2, [MLP_INPUT], 8).map((r) => (r as number[]).map((v) => (v + 2) / 4)),
  recurrent: rows(3, [4], 9),
  half_plus_two: [[1.0], [2.0], [5.0]],
};

before(async () => {
  await tf.setBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "servable-engines-"));
  const repository = join(work, "models");
  // The bench's MLP and the demo half_plus_two.
  await makeModelRepository(repository, DEMO_REPOSITORY);
  const built = { dense: dense(), cnn: cnn(), two_inputs: twoInputs(), scorer: scorer() };
  for (const [name, model] of Object.entries({
    ...built,
    nested: nested(),
    recurrent: recurrent(),
  })) {
    await exportModel(model, repository, { name, format: "tfjs" });
  }
  await exportModel(built.dense, repository, {
    name: "iris",
    format: "tfjs",
    signatures: {
      serving_default: signatures.predict(built.dense),
      classify: signatures.classify(built.dense, { classes: CLASSES }),
    },
  });
  await exportModel(built.scorer, repository, {
    name: "scorer_regress",
    format: "tfjs",
    signatures: { regress: signatures.regress(built.scorer) },
  });
  const forcedRepository = join(work, "forced");
  for (const name of ["dense", "recurrent"]) {
    await cp(join(repository, name), join(forcedRepository, name), { recursive: true });
  }
  // Replicas only where batching is on (the path compiled versions take when serving
  // under load); the others run in the REST thread, so three servers load in time.
  const common = ["--max_num_load_retries=0", "--file_system_poll_wait_seconds=0"];
  const inThread = [...common, "--model_replicas=0"];
  const slow = { timeoutMs: 240_000 };
  [onTfjs, onAuto, forced] = await Promise.all([
    startServer([`--model_repository=${repository}`, "--tfjs_engine=tfjs", ...inThread], slow),
    startServer(
      [`--model_repository=${repository}`, "--enable_batching", "--model_replicas=1", ...common],
      slow,
    ),
    startServer(
      [`--model_repository=${forcedRepository}`, "--tfjs_engine=onnxruntime", ...inThread],
      slow,
    ),
  ]);
});

after(async () => {
  await Promise.all([onTfjs?.stop(), onAuto?.stop(), forced?.stop()]);
  await rm(work, { recursive: true, force: true });
});

async function listed(server: ServerProcess, name: string): Promise<ListedVersion> {
  const body = (await getJson(`${server.url}/v1/models`)).json as ModelListResponse;
  const model = body.models.find((m) => m.name === name);
  assert.ok(model, `${name} is listed`);
  return model.model_version_status[0]!;
}

/** Every number of `actual` within 1e-5 relative of `expected`'s, same structure. */
function assertAgree(actual: unknown, expected: unknown, path: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: not a list`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => assertAgree(actual[i], e, `${path}[${i}]`));
  } else if (typeof expected === "number") {
    const a = actual as number;
    assert.ok(
      Math.abs(a - expected) <= 1e-5 * Math.max(1, Math.abs(expected)),
      `${path}: ${a} on ONNX Runtime, ${expected} on TF.js`,
    );
  } else if (typeof expected === "object" && expected !== null) {
    for (const [key, value] of Object.entries(expected)) {
      assertAgree((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

/** The same request to both servers: both succeed, and the answers agree. */
async function bothAgree(path: string, body: unknown): Promise<unknown> {
  const [tfjsAnswer, autoAnswer] = await Promise.all([
    postJson(`${onTfjs.url}${path}`, body),
    postJson(`${onAuto.url}${path}`, body),
  ]);
  assert.equal(tfjsAnswer.status, 200, tfjsAnswer.text);
  assert.equal(autoAnswer.status, 200, autoAnswer.text);
  assertAgree(autoAnswer.json, tfjsAnswer.json, path);
  return autoAnswer.json;
}

const COMPILED = [
  "half_plus_two",
  "dense",
  "cnn",
  "two_inputs",
  "scorer",
  "mlp",
  "iris",
  "scorer_regress",
];

describe("every TF.js test model runs on ONNX Runtime under auto and answers as on TF.js", () => {
  for (const name of COMPILED) {
    test(name, async () => {
      const auto = await listed(onAuto, name);
      assert.equal(auto.state, "AVAILABLE");
      assert.equal(auto.engine, "onnxruntime");
      assert.equal(auto.engine_reason, undefined);
      const tfjs = await listed(onTfjs, name);
      assert.equal(tfjs.engine, "tfjs");
      assert.equal(tfjs.engine_reason, undefined);
      if (name === "iris" || name === "scorer_regress") return;
      const answer = (await bothAgree(`/v1/models/${name}:predict`, {
        instances: INSTANCES[name],
      })) as { predictions: unknown[] };
      assert.equal(answer.predictions.length, (INSTANCES[name] as unknown[]).length);
    });
  }

  // TF.js itself cannot run a model used as a layer once saved and loaded again (its
  // execute() says the inner model "has multiple inbound nodes"): there is no TF.js answer to
  // agree with, so auto keeps it on TF.js and says why.
  test("nested: kept on TF.js under auto, with the reason", async () => {
    const auto = await listed(onAuto, "nested");
    assert.equal(auto.engine, "tfjs");
    assert.match(String(auto.engine_reason), /\S/);
  });

  test("the demo graph model: TF Serving's documented request, and each signature's feeds", async () => {
    const answer = await bothAgree("/v1/models/half_plus_two:predict", {
      instances: [1.0, 2.0, 5.0],
    });
    assert.deepEqual(answer, { predictions: [2.5, 3.0, 4.5] });
    // x2 feeds other signatures than x: a graph of its own on ONNX Runtime.
    await bothAgree("/v1/models/half_plus_two:regress", {
      signature_name: "regress_x2_to_y3",
      examples: [{ x2: 1.5 }, { x2: -4.25 }],
    });
    await bothAgree("/v1/models/half_plus_two:regress", {
      signature_name: "regress_x_to_y2",
      examples: [{ x: 1.5 }, { x: -4.25 }],
    });
    await bothAgree("/v1/models/half_plus_two:classify", {
      signature_name: "classify_x_to_y",
      examples: [{ x: 0.5 }],
    });
  });

  test("iris: predict and classify (labels and scores)", async () => {
    await bothAgree("/v1/models/iris:predict", { instances: INSTANCES.dense });
    // The feature is the input layer's name, which TF.js numbers as it goes.
    const metadata = (await getJson(`${onTfjs.url}/v1/models/iris/metadata`)).json as {
      metadata: { signature_def: { signature_def: Record<string, { inputs: object }> } };
    };
    const [feature] = Object.keys(metadata.metadata.signature_def.signature_def.classify!.inputs);
    const examples = (INSTANCES.dense as number[][]).map((row) => ({ [feature!]: row }));
    const answer = (await bothAgree("/v1/models/iris:classify", {
      signature_name: "classify",
      examples,
    })) as { results: [string, number][][] };
    assert.deepEqual(
      answer.results.map((r) => r.map(([label]) => label)),
      examples.map(() => CLASSES),
    );
  });

  test("scorer_regress: regress over two inputs", async () => {
    // Written as text: JSON.stringify would turn 3.0 into 3, an int64 feature to TF Serving.
    const floats = (row: number[]) => `[${row.map((v) => v.toFixed(6)).join(", ")}]`;
    const examples = (INSTANCES.scorer as { numbers: number[]; tokens: number[] }[]).map(
      (row) => `{"numbers": ${floats(row.numbers)}, "tokens": ${floats(row.tokens)}}`,
    );
    const answer = (await bothAgree(
      "/v1/models/scorer_regress:regress",
      `{"signature_name": "regress", "examples": [${examples.join(", ")}]}`,
    )) as { results: number[] };
    assert.equal(answer.results.length, examples.length);
  });

  test("the status of a version says the engine; GetModelStatus is TF Serving's", async () => {
    const status = (await getJson(`${onAuto.url}/v1/models/mlp`)).json;
    assert.deepEqual(status, {
      model_version_status: [
        { version: "1", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } },
      ],
    });
    const line = await onAuto.waitForLog((l) => l.model === "mlp" && l.state === "AVAILABLE");
    assert.equal(line.runtime, "onnxruntime");
  });
});

describe("a model that does not compile", () => {
  test("runs on TF.js under auto, its status and load log naming the layer", async () => {
    const version = await listed(onAuto, "recurrent");
    assert.equal(version.state, "AVAILABLE");
    assert.equal(version.engine, "tfjs");
    assert.match(version.engine_reason ?? "", /^layer memory \(SimpleRNN\): /);
    const line = await onAuto.waitForLog((l) => l.model === "recurrent" && l.state === "AVAILABLE");
    assert.equal(line.engine_reason, version.engine_reason);
    await bothAgree("/v1/models/recurrent:predict", { instances: INSTANCES.recurrent });
  });

  test("fails its load under --tfjs_engine=onnxruntime, naming the layer; the others serve", async () => {
    const version = await listed(forced, "recurrent");
    assert.equal(version.state, "END");
    assert.match(version.status.error_message, /layer memory \(SimpleRNN\)/);
    assert.match(version.status.error_message, /--tfjs_engine=onnxruntime/);
    const served = await listed(forced, "dense");
    assert.equal(served.state, "AVAILABLE");
    assert.equal(served.engine, "onnxruntime");
    const answer = await postJson(`${forced.url}/v1/models/dense:predict`, {
      instances: INSTANCES.dense,
    });
    assert.equal(answer.status, 200, answer.text);
  });
});
