import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { exportModel, signatures } from "../../kernel-lib/src";
import {
  constNode,
  node,
  tf1HalfPlusTwo,
  writeSavedModel,
} from "../../server/src/formats/savedmodel/testing/saved-model-fixtures";
import { getJson, postJson, startServer, waitFor, type ServerProcess } from "../support";
import { cnn, dense, nested, scorer, twoInputs } from "../support/tfjs-test-models";

/**
 * SavedModels the project writes itself, served by a real servable-server process (wasm
 * backend): TF.js models exported with exportModel(..., {format: "savedmodel"}) answer as
 * the TF.js models do, to 1e-5, through TF Serving's REST API; a TF 1 style SavedModel
 * with variables and ParseExample serves classify and regress; and a SavedModel with an op
 * the runtime cannot execute ends in END with the op and node named while the others
 * keep serving.
 */
let work: string;
let repository: string;
let server: ServerProcess;
const models: Record<string, { model: tf.LayersModel; inputs: number[][][] }> = {};

const random = (rows: number, shape: number[]) =>
  tf.randomNormal([rows, ...shape]).arraySync() as number[][];
const tokenIds = (rows: number, length: number, vocabulary: number) =>
  tf.randomUniform([rows, length], 0, vocabulary, "int32").arraySync() as number[][];

before(async () => {
  await tf.setBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "servable-exported-"));
  repository = join(work, "models");
  models.dense = { model: dense(), inputs: [random(4, [4])] };
  models.cnn = { model: cnn(), inputs: [random(2, [8, 8, 1])] };
  models.two_inputs = { model: twoInputs(), inputs: [random(3, [3]), random(3, [2])] };
  models.scorer = { model: scorer(), inputs: [random(4, [6]), tokenIds(4, 5, 10)] };
  models.nested = { model: nested(), inputs: [tokenIds(3, 7, 20)] };
  for (const [name, { model }] of Object.entries(models)) {
    await exportModel(model, repository, { name, format: "savedmodel" });
  }
  const iris = models.dense.model;
  await exportModel(iris, repository, {
    name: "iris",
    format: "savedmodel",
    signatures: {
      serving_default: signatures.predict(iris),
      classify: signatures.classify(iris, { classes: ["setosa", "versicolor", "virginica"] }),
    },
  });
  await exportModel(models.scorer.model, repository, {
    name: "scorer_regress",
    format: "savedmodel",
    signatures: { regress: signatures.regress(models.scorer.model) },
  });
  const tf1 = tf1HalfPlusTwo();
  await writeSavedModel(join(repository, "half_plus_two", "1"), tf1.metaGraph, tf1.variables, {
    snappy: true,
  });
  const broken = tf1HalfPlusTwo();
  broken.metaGraph.graph_def!.node!.push(
    constNode("edges", { dtype: "DT_FLOAT", shape: [], data: Float32Array.of(0) }),
    node("buckets", "Bucketize", ["x"], {
      T: { type: "DT_FLOAT" },
      boundaries: { list: { f: [0, 1] } },
    }),
  );
  broken.metaGraph.signature_def!.serving_default!.outputs = {
    y: { name: "buckets:0", dtype: "DT_INT32" },
  };
  await writeSavedModel(join(repository, "bucketize", "1"), broken.metaGraph, broken.variables);

  server = await startServer([`--model_repository=${repository}`, "--max_num_load_retries=0"]);
  for (const name of [
    ...Object.keys(models),
    "iris",
    "scorer_regress",
    "half_plus_two",
    "bucketize",
  ]) {
    await waitFor(async () => {
      const status = (await getJson(`${server.url}/v1/models/${name}`)).json as {
        model_version_status?: { state: string }[];
      };
      const state = status.model_version_status?.[0]?.state;
      return state === "AVAILABLE" || state === "END" ? true : undefined;
    }, 60_000);
  }
});

after(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

function assertClose(actual: unknown, expected: unknown, path = "predictions"): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: length`);
    expected.forEach((e, i) => assertClose((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  assert.ok(
    Math.abs((actual as number) - (expected as number)) <= 1e-5,
    `${path}: ${String(actual)} vs ${String(expected)}`,
  );
}

describe("TF.js models exported as SavedModels answer as the TF.js models do (to 1e-5)", () => {
  for (const name of ["dense", "cnn", "two_inputs", "scorer", "nested"]) {
    test(name, async () => {
      const { model, inputs } = models[name]!;
      const expected = (model.predict(inputs.map((x) => tf.tensor(x))) as tf.Tensor).arraySync();
      const instances =
        inputs.length === 1
          ? inputs[0]
          : inputs[0]!.map((_, row) =>
              Object.fromEntries(model.inputNames.map((key, i) => [key, inputs[i]![row]])),
            );
      const res = await postJson(`${server.url}/v1/models/${name}:predict`, { instances });
      assert.equal(res.status, 200, res.text);
      assertClose((res.json as { predictions: unknown }).predictions, expected);
    });
  }

  test("classify on tf.Example JSON: class labels and scores", async () => {
    const model = models.dense!.model;
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ];
    const feature = model.inputs[0]!.name;
    // Written as text: JSON.stringify would turn 3.0 into 3, an int64 feature to TF Serving.
    const examples = rows.map((r) => `{"${feature}": [${r.map((v) => v.toFixed(1)).join(", ")}]}`);
    const res = await postJson(
      `${server.url}/v1/models/iris:classify`,
      `{"signature_name": "classify", "examples": [${examples.join(", ")}]}`,
    );
    assert.equal(res.status, 200, res.text);
    const results = (res.json as { results: [string, number][][] }).results;
    const scores = (model.predict(tf.tensor(rows)) as tf.Tensor).arraySync() as number[][];
    assert.deepEqual(
      results.map((r) => r.map(([label]) => label)),
      [
        ["setosa", "versicolor", "virginica"],
        ["setosa", "versicolor", "virginica"],
      ],
    );
    assertClose(
      results.map((r) => r.map(([, score]) => score)),
      scores,
    );
  });
});

describe("a regress signature over two inputs, parsed from tf.Examples in the graph", () => {
  test("one value per example, as the TF.js model computes it", async () => {
    const { model, inputs } = models.scorer!;
    const [numbers, tokens] = inputs as [number[][], number[][]];
    // Written as text: JSON.stringify would turn 3.0 into 3, an int64 feature to TF Serving.
    const floats = (row: number[]) => `[${row.map((v) => v.toFixed(6)).join(", ")}]`;
    const examples = numbers.map(
      (row, i) => `{"numbers": ${floats(row)}, "tokens": ${floats(tokens[i]!)}}`,
    );
    const res = await postJson(
      `${server.url}/v1/models/scorer_regress:regress`,
      `{"signature_name": "regress", "examples": [${examples.join(", ")}]}`,
    );
    assert.equal(res.status, 200, res.text);
    const rounded = (rows: number[][]) => rows.map((r) => r.map((v) => Number(v.toFixed(6))));
    const expected = model.predict([tf.tensor(rounded(numbers)), tf.tensor(tokens)]) as tf.Tensor;
    assertClose((res.json as { results: number[] }).results, Array.from(expected.dataSync()));
  });
});

describe("a TF 1 style SavedModel with a checkpoint, written by the project", () => {
  test("predict, classify and regress", async () => {
    const predict = await postJson(
      `${server.url}/v1/models/half_plus_two:predict`,
      '{"instances": [1.0, 2.0, 5.0]}',
    );
    assert.equal(predict.text.replace(/\s+/g, ""), '{"predictions":[2.5,3.0,4.5]}');
    const classify = await postJson(
      `${server.url}/v1/models/half_plus_two:classify`,
      '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 2.0}]}',
    );
    assert.equal(classify.text.replace(/\s+/g, ""), '{"results":[[["",2.5]],[["",3.0]]]}');
    const regress = await postJson(
      `${server.url}/v1/models/half_plus_two:regress`,
      '{"signature_name": "regress_x2_to_y2", "examples": [{"x": 1.0, "x2": 2.0}, {"x": 1.0}]}',
    );
    assert.equal(regress.text.replace(/\s+/g, ""), '{"results":[4.0,3.0]}');
  });
});

describe("an op the runtime cannot execute", () => {
  test("the version ends in END with the op and the node named", async () => {
    const status = (await getJson(`${server.url}/v1/models/bucketize`)).json as {
      model_version_status: {
        state: string;
        status: { error_code: string; error_message: string };
      }[];
    };
    const version = status.model_version_status[0]!;
    assert.equal(version.state, "END");
    assert.notEqual(version.status.error_code, "OK");
    assert.match(version.status.error_message, /Bucketize \(node buckets\)/);
  });

  test("the other models keep serving", async () => {
    const res = await postJson(
      `${server.url}/v1/models/half_plus_two:predict`,
      '{"instances": [3.0]}',
    );
    assert.equal(res.text.replace(/\s+/g, ""), '{"predictions":[3.5]}');
    const health = await getJson(`${server.url}/v1/models/dense`);
    assert.equal(health.status, 200);
  });
});
