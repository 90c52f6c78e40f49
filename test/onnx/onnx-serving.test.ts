import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { getJson, postJson, startServer, waitFor } from "../support";
import {
  assertClose,
  columnarBody,
  nest,
  readExpected,
  requestBody,
  rowBody,
  sliceRows,
  type Expected,
} from "./support/fixtures";
import { serveFixtures } from "./support/served-fixtures";

/**
 * ONNX versions over TF Serving's REST API on a real server: models exported by PyTorch
 * and built with onnx's helper API, their answers against each framework's own, every
 * dtype ONNX models use, classify and regress, metadata, errors, and broken models.
 */
const served = serveFixtures(["pytorch_models.py", "onnx_helper_models.py"], (fixtures) =>
  startServer([
    `--model_repository=${join(fixtures, "models")}`,
    "--file_system_poll_wait_seconds=0",
  ]),
);

const predict = (model: string, body: unknown) =>
  postJson(`${served.server.url}/v1/models/${model}:predict`, body);

type Json = Record<string, unknown>;

async function versionState(model: string): Promise<Json | undefined> {
  const status = await getJson(`${served.server.url}/v1/models/${model}`);
  const versions = (status.json as { model_version_status?: Json[] } | undefined)
    ?.model_version_status;
  const state = versions?.[0]?.state;
  return state === "AVAILABLE" || state === "END" ? versions![0] : undefined;
}

test("PyTorch models answer as PyTorch does, in the row and the columnar format", async () => {
  for (const [name, output] of [
    ["mlp", "logits"],
    ["cnn", "probabilities"],
  ] as const) {
    const expected = await readExpected(served.fixtures, name);
    const input = Object.values(expected.inputs)[0]!;
    const row = await predict(name, rowBody(input));
    assert.equal(row.status, 200, row.text);
    assertClose((row.json as Json).predictions, expected.outputs[output]!, 1e-5, `${name} row`);
    const columnar = await predict(name, columnarBody(expected));
    assert.equal(columnar.status, 200, columnar.text);
    assertClose(
      (columnar.json as Json).outputs,
      expected.outputs[output]!,
      1e-5,
      `${name} columns`,
    );
  }
});

test("any batch size runs where the batch dimension is free", async () => {
  const expected = await readExpected(served.fixtures, "mlp");
  const x = expected.inputs.x!;
  const logits = expected.outputs.logits!;
  for (const rows of [1, 2, 5]) {
    const answer = await predict("mlp", rowBody(sliceRows(x, 0, rows)));
    assert.equal(answer.status, 200, answer.text);
    assertClose(
      (answer.json as Json).predictions,
      sliceRows(logits, 0, rows),
      1e-5,
      `batch of ${rows}`,
    );
  }
});

test("float32/64, int32/64 and bool tensors cross the API both ways", async () => {
  const expected = await readExpected(served.fixtures, "typed");
  const rows = expected.inputs.ids!.shape[0]!;
  const instances = Array.from({ length: rows }, (_, i) =>
    Object.fromEntries(
      Object.entries(expected.inputs).map(([name, d]) => {
        const size = d.data.length / rows;
        return [name, nest(d.data.slice(i * size, (i + 1) * size), d.shape.slice(1))];
      }),
    ),
  );
  const row = await predict("typed", requestBody({ instances }));
  assert.equal(row.status, 200, row.text);
  const predictions = (row.json as { predictions: Json[] }).predictions;
  const column = (name: string) => predictions.map((p) => p[name]);
  assertClose(column("score"), expected.outputs.score!, 1e-5, "score (float32)");
  assertClose(column("scaled"), expected.outputs.scaled!, 1e-12, "scaled (float64)");
  assert.deepEqual(column("count"), expected.outputs.count!.data, "count (int32)");
  assert.deepEqual(column("positive"), expected.outputs.positive!.data, "positive (bool)");
  assert.deepEqual(column("ids_sum"), expected.outputs.ids_sum!.data, "ids_sum (int64)");

  const columnar = await predict("typed", columnarBody(expected));
  const outputs = (columnar.json as { outputs: Json }).outputs;
  assert.deepEqual(outputs.ids_sum, expected.outputs.ids_sum!.data);
  assertClose(outputs.scaled, expected.outputs.scaled!, 1e-12, "scaled, columnar");
});

test("string tensors: UTF-8 text in and out, and b64 bytes in", async () => {
  const expected = await readExpected(served.fixtures, "strings");
  const answer = await predict("strings", requestBody({ instances: expected.inputs.word!.data }));
  assert.equal(answer.status, 200, answer.text);
  const predictions = (answer.json as { predictions: Json[] }).predictions;
  assert.deepEqual(
    predictions.map((p) => p.id),
    expected.outputs.id!.data,
  );
  assert.deepEqual(
    predictions.map((p) => p.kind),
    expected.outputs.kind!.data,
  );
  const b64 = await predict("strings", {
    inputs: { word: [{ b64: Buffer.from("café").toString("base64") }] },
  });
  assert.deepEqual((b64.json as { outputs: Json }).outputs, { id: [4], kind: ["noun"] });
});

test("metadata is TF Serving's: dtypes, free dimensions as -1 with their names", async () => {
  const metadata = await getJson(`${served.server.url}/v1/models/typed/versions/1/metadata`);
  assert.equal(metadata.status, 200);
  const body = metadata.json as {
    model_spec: Json;
    metadata: { signature_def: { signature_def: Record<string, Json> } };
  };
  assert.deepEqual(body.model_spec, { name: "typed", signature_name: "", version: "1" });
  const signature = body.metadata.signature_def.signature_def.serving_default as {
    inputs: Json;
    outputs: Record<string, { dtype: string }>;
    method_name: string;
  };
  assert.equal(signature.method_name, "tensorflow/serving/predict");
  assert.deepEqual(signature.inputs.ids, {
    dtype: "DT_INT64",
    tensor_shape: {
      dim: [
        { size: "-1", name: "batch" },
        { size: "6", name: "" },
      ],
      unknown_rank: false,
    },
    name: "ids",
  });
  assert.deepEqual(
    Object.fromEntries(Object.entries(signature.outputs).map(([k, v]) => [k, v.dtype])),
    {
      score: "DT_FLOAT",
      scaled: "DT_DOUBLE",
      count: "DT_INT32",
      positive: "DT_BOOL",
      ids_sum: "DT_INT64",
    },
  );
});

async function treeExpected(name: string): Promise<Expected> {
  return readExpected(served.fixtures, name);
}

test("a tree ensemble with ZipMap probabilities: predict and classify", async () => {
  const expected = await treeExpected("tree_classifier");
  const features = nest(expected.inputs.features!.data, expected.inputs.features!.shape);
  const answer = await predict("tree_classifier", requestBody({ instances: features }));
  assert.equal(answer.status, 200, answer.text);
  const predictions = (answer.json as { predictions: Json[] }).predictions;
  assert.deepEqual(
    predictions.map((p) => p.label),
    expected.outputs.label!.data,
  );
  assertClose(
    predictions.map((p) => p.probabilities),
    expected.outputs.probabilities!,
    1e-5,
    "probabilities",
  );

  const examples = (features as number[][]).map((f) => ({ features: f }));
  const classify = await postJson(
    `${served.server.url}/v1/models/tree_classifier:classify`,
    requestBody({ signature_name: "classify", examples }, { floats: true }),
  );
  assert.equal(classify.status, 200, classify.text);
  const results = (classify.json as { results: [string, number][][] }).results;
  assert.deepEqual(
    results.map((r) => r.map(([label]) => label)),
    examples.map(() => ["setosa", "versicolor", "virginica"]),
  );
  assertClose(
    results.map((r) => r.map(([, score]) => score)),
    expected.outputs.probabilities!,
    1e-5,
    "classify scores",
  );
  const metadata = await getJson(`${served.server.url}/v1/models/tree_classifier/metadata`);
  const classifySignature = (
    metadata.json as {
      metadata: { signature_def: { signature_def: Record<string, { outputs: Json }> } };
    }
  ).metadata.signature_def.signature_def.classify!;
  assert.deepEqual(
    (classifySignature.outputs.classes as { dtype: string; tensor_shape: unknown }).tensor_shape,
    {
      dim: [
        { size: "-1", name: "" },
        { size: "3", name: "" },
      ],
      unknown_rank: false,
    },
  );
});

test("a tree ensemble regressor: regress and predict", async () => {
  const expected = await treeExpected("tree_regressor");
  const features = nest(expected.inputs.features!.data, expected.inputs.features!.shape);
  const examples = (features as number[][]).map((f) => ({ features: f }));
  const regress = await postJson(
    `${served.server.url}/v1/models/tree_regressor:regress`,
    requestBody({ signature_name: "regress", examples }, { floats: true }),
  );
  assert.equal(regress.status, 200, regress.text);
  const values = expected.outputs.value!;
  assertClose(
    (regress.json as { results: number[] }).results,
    { ...values, shape: [values.shape[0]!] },
    1e-5,
    "regress",
  );
  const answer = await predict("tree_regressor", requestBody({ instances: features }));
  assertClose((answer.json as Json).predictions, values, 1e-5, "predict");
});

test("bad requests are 4xx with TF Serving's error body, and serving goes on", async () => {
  const cases: [string, string, unknown, RegExp][] = [
    ["mlp", "predict", { instances: [[1, 2, 3]] }, /invalid dimensions for input: x/],
    ["mlp", "predict", { instances: [["a"]] }, /./],
    ["typed", "predict", { inputs: { ids: [[1, 2, 3, 4, 5, 6]] } }, /./],
    ["mlp", "predict", { signature_name: "nope", instances: [[1]] }, /nope/],
    ["mlp", "classify", { examples: [{ x: [1] }] }, /signature/i],
    [
      "tree_classifier",
      "classify",
      { signature_name: "classify", examples: [{ z: [1] }] },
      /features/,
    ],
    ["strings", "predict", { instances: [1, 2] }, /./],
  ];
  for (const [model, method, body, message] of cases) {
    const answer = await postJson(`${served.server.url}/v1/models/${model}:${method}`, body);
    assert.ok(
      answer.status >= 400 && answer.status < 500,
      `${model}:${method} ${JSON.stringify(body)}: ${answer.status}`,
    );
    const error = (answer.json as { error?: string } | undefined)?.error;
    assert.equal(typeof error, "string", answer.text);
    assert.match(error!, message);
  }
  const expected = await readExpected(served.fixtures, "mlp");
  const still = await predict("mlp", columnarBody(expected));
  assert.equal(still.status, 200);
});

test("a model file that does not parse, or that ONNX Runtime cannot load, ends with the reason; the others keep serving", async () => {
  const garbage = await waitFor(() => versionState("garbage"));
  assert.equal(garbage.state, "END");
  assert.match(
    (garbage.status as { error_message: string }).error_message,
    /^model\.onnx in .*garbage.1 does not parse: /,
  );
  const future = await waitFor(() => versionState("future_opset"));
  assert.equal(future.state, "END");
  assert.match((future.status as { error_message: string }).error_message, /opset|99/i);
  for (const model of ["mlp", "cnn", "typed", "strings", "tree_classifier", "tree_regressor"]) {
    assert.equal((await versionState(model))?.state, "AVAILABLE", model);
  }
});
