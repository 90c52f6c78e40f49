import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { importModel } from "../../kernel-lib/src/import/import-model";
import { getJson, postJson, ROOT, startServer, waitFor } from "../support";
import {
  assertClose,
  nest,
  PYTHON,
  readExpected,
  requestBody,
  type Described,
} from "./support/fixtures";
import { serveFixtures } from "./support/served-fixtures";

/**
 * XGBoost models trained by XGBoost itself, saved as JSON, brought in with `servable
 * import` (TypeScript conversion to ONNX tree ensembles), served, and checked against
 * XGBoost's own predictions, missing values included.
 */
const run = promisify(execFile);
const CLI = [process.execPath, "--import", "tsx", join(ROOT, "kernel-lib", "src", "cli.ts")];

const CLASSIFIERS = ["binary", "forest", "multiclass", "multiclass_softmax", "two_class"];
const REGRESSORS = [
  "regression",
  "logistic_regression",
  "poisson",
  "gamma",
  "tweedie",
  "logitraw",
  "absolute",
  "pseudohuber",
  "squaredlog",
  "dart",
];

let repository: string;

function servable(args: string[]) {
  return run(CLI[0]!, [...CLI.slice(1), ...args], { cwd: ROOT }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

const served = serveFixtures(["xgboost_models.py"], async (fixtures) => {
  repository = join(fixtures, "models");
  await mkdir(repository);
  const imported = await servable([
    "import",
    join(fixtures, "xgboost", "binary.json"),
    "--name",
    "binary",
    "--model_repository",
    repository,
  ]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /binary version 1 written to .*binary\/1/);
  for (const name of [...CLASSIFIERS, ...REGRESSORS].filter((n) => n !== "binary")) {
    await importModel(join(fixtures, "xgboost", `${name}.json`), repository, { name });
  }
  return startServer([`--model_repository=${repository}`]);
});

async function available(name: string): Promise<void> {
  await waitFor(async () => {
    const status = await getJson(`${served.server.url}/v1/models/${name}/versions/1`);
    const state = (status.json as { model_version_status?: { state: string }[] })
      ?.model_version_status?.[0]?.state;
    if (state === "END") assert.fail(`${name} failed to load: ${status.text}`);
    return state === "AVAILABLE" ? true : undefined;
  });
}

async function call(name: string, method: string, body: string) {
  await available(name);
  const answer = await postJson(`${served.server.url}/v1/models/${name}:${method}`, body);
  assert.equal(answer.status, 200, `${name}:${method}: ${answer.text}`);
  return answer.json as Record<string, unknown>;
}

async function features(name: string) {
  const expected = await readExpected(served.fixtures, `xgb_${name}`);
  const input = expected.inputs.features!;
  const rows = nest(input.data, input.shape) as (number | null)[][];
  return { rows, prediction: expected.outputs.prediction! };
}

/** Columns of a [N, C] described tensor, or the [N] values themselves as one column. */
function column(described: Described, c: number, columns: number): Described {
  const rows = described.shape[0]!;
  return {
    dtype: described.dtype,
    shape: [rows],
    data: Array.from({ length: rows }, (_, r) => described.data[r * columns + c]!),
  };
}

test("every converted model is valid ONNX by onnx's own checker", async () => {
  const files = [...CLASSIFIERS, ...REGRESSORS].map((n) => join(repository, n, "1", "model.onnx"));
  const script = "import onnx, sys\nfor f in sys.argv[1:]: onnx.checker.check_model(onnx.load(f))";
  await run(PYTHON, ["-c", script, ...files]);
});

test("binary classifiers: probabilities and labels equal XGBoost's", async () => {
  for (const name of ["binary", "forest"]) {
    const { rows, prediction } = await features(name);
    const answer = await call(name, "predict", requestBody({ instances: rows }));
    const predictions = answer.predictions as { label: number; probabilities: number[] }[];
    const probabilities = { dtype: "float32", shape: [rows.length, 2], data: [] as number[] };
    probabilities.data = predictions.flatMap((p) => p.probabilities);
    assertClose(column(probabilities, 1, 2).data, prediction, 1e-5, `${name} p(1)`);
    const complement = prediction.data.map((p) => 1 - (p as number));
    assertClose(column(probabilities, 0, 2).data, { ...prediction, data: complement }, 1e-5, name);
    assert.deepEqual(
      predictions.map((p) => p.label),
      prediction.data.map((p) => ((p as number) > 0.5 ? 1 : 0)),
    );

    const examples = rows.map((features) => ({ features }));
    const classify = await call(
      name,
      "classify",
      requestBody({ signature_name: "classify", examples }, { floats: true }),
    );
    const results = classify.results as [string, number][][];
    assert.deepEqual(
      results[0]!.map(([label]) => label),
      ["0", "1"],
    );
    assertClose(
      results.map((r) => r[1]![1]),
      prediction,
      1e-5,
      `${name} classify`,
    );
  }
});

test("multi-class classifiers: softprob probabilities and softmax labels equal XGBoost's", async () => {
  for (const [name, classes] of [
    ["multiclass", 3],
    ["two_class", 2],
  ] as const) {
    const { rows, prediction } = await features(name);
    const answer = await call(name, "predict", requestBody({ instances: rows }));
    const predictions = answer.predictions as { probabilities: number[] }[];
    assertClose(
      predictions.map((p) => p.probabilities),
      prediction,
      1e-5,
      name,
    );
    assert.equal(prediction.shape[1], classes);
  }
  const { rows, prediction } = await features("multiclass_softmax");
  const answer = await call("multiclass_softmax", "predict", requestBody({ instances: rows }));
  assert.deepEqual(
    (answer.predictions as { label: number }[]).map((p) => p.label),
    prediction.data,
  );
});

test("regression objectives: predict and regress equal XGBoost's", async () => {
  for (const name of REGRESSORS) {
    const { rows, prediction } = await features(name);
    const answer = await call(name, "predict", requestBody({ instances: rows }));
    assertClose(answer.predictions, prediction, 1e-5, `${name} predict`);
    const examples = rows.map((features) => ({ features }));
    const regress = await call(
      name,
      "regress",
      requestBody({ signature_name: "regress", examples }, { floats: true }),
    );
    assertClose(regress.results, prediction, 1e-5, `${name} regress`);
  }
});

test("what is not converted is refused with the reason, and nothing is written", async () => {
  const cases: [string, RegExp][] = [
    ["ranking", /objective rank:pairwise is not converted/],
    ["linear", /gblinear .* not converted/],
    ["categorical", /categorical splits, which are not converted/],
  ];
  for (const [name, message] of cases) {
    const answer = await servable([
      "import",
      join(served.fixtures, "xgboost", `${name}.json`),
      "--name",
      name,
      "--model_repository",
      repository,
    ]);
    assert.equal(answer.code, 1, `${name} should be refused`);
    assert.match(answer.stderr, message);
  }
  const notModel = await servable(["import", join(ROOT, "package.json"), "--name", "npm"]);
  assert.equal(notModel.code, 1);
  assert.match(notModel.stderr, /not an XGBoost model saved as JSON/);
  const names = await readdir(repository);
  for (const name of ["ranking", "linear", "categorical", "npm"]) {
    assert.ok(!names.includes(name), `${name} left a folder behind`);
  }
});
