import assert from "node:assert/strict";
import { test } from "node:test";
import { getJson, postJson, demoServerForTests } from "../support";

/**
 * TF Serving's REST contract (reference §1) through a real servable-server on the demo
 * repository: the seed request, predict/classify/regress, status, metadata, the model
 * listing, health and metrics.
 */
const server = demoServerForTests("--file_system_poll_wait_seconds=1");

const model = () => `${server.url}/v1/models/half_plus_two`;

test('the seed request answers {"predictions": [2.5, 3.0, 4.5]}', async () => {
  const res = await fetch(`${model()}:predict`, {
    method: "POST",
    body: '{"instances": [1.0, 2.0, 5.0]}',
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const text = await res.text();
  assert.equal(text.replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}');
  assert.equal(text, '{\n    "predictions": [2.5, 3.0, 4.5\n    ]\n}', "rapidjson's layout");
});

test("predict: columnar inputs, versions, signatures, row lists", async () => {
  const columnar = await postJson(`${model()}/versions/1:predict`, { inputs: [[1], [2]] });
  assert.equal(columnar.text.replace(/\s/g, ""), '{"outputs":[[2.5],[3.0]]}');
  const y2 = await postJson(`${model()}:predict`, {
    signature_name: "regress_x_to_y2",
    instances: [[1.0], [2.0]],
  });
  assert.equal(y2.status, 200, y2.text);
  assert.deepEqual(y2.json, { predictions: [[3.5], [4]] });
  const upperCase = await postJson(`${server.url}/V1/MODELS/half_plus_two:PREDICT`, {
    instances: [0],
  });
  assert.deepEqual(upperCase.json, { predictions: [2] });
});

test('classify and regress answer {"results": ...}', async () => {
  // Raw JSON: a float feature must be written with a point ("1.0"), which JSON.stringify drops.
  const classify = await postJson(
    `${model()}:classify`,
    '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 3.0}]}',
  );
  assert.equal(classify.status, 200, classify.text);
  assert.equal(classify.text.replace(/\s/g, ""), '{"results":[[["",2.5]],[["",3.5]]]}');
  const regress = await postJson(
    `${model()}:regress`,
    '{"signature_name": "regress_x2_to_y3", "context": {"x2": 4.0}, "examples": [{}, {"x2": 2.0}]}',
  );
  assert.equal(regress.status, 200, regress.text);
  assert.equal(regress.text.replace(/\s/g, ""), '{"results":[5.0,4.0]}');
});

test("model status: TF Serving's shape, for the model and for one version", async () => {
  const expected = {
    model_version_status: [
      {
        version: "1",
        state: "AVAILABLE",
        status: { error_code: "OK", error_message: "" },
      },
    ],
  };
  const all = await getJson(model());
  assert.equal(all.status, 200);
  assert.deepEqual(all.json, expected);
  assert.deepEqual((await getJson(`${model()}/versions/1`)).json, expected);
  const missing = await getJson(`${model()}/versions/7`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { error: "Could not find version 7 of model half_plus_two" });
  const unknown = await getJson(`${server.url}/v1/models/nope`);
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.json, { error: "Could not find any versions of model nope" });
});

test("metadata: the version's signature_def as TF Serving prints it", async () => {
  const res = await getJson(`${model()}/metadata`);
  assert.equal(res.status, 200);
  const body = res.json as {
    model_spec: unknown;
    metadata: { signature_def: { signature_def: Record<string, unknown> } };
  };
  assert.deepEqual(body.model_spec, { name: "half_plus_two", signature_name: "", version: "1" });
  const signatures = body.metadata.signature_def.signature_def;
  assert.deepEqual(Object.keys(signatures).sort(), [
    "classify_x2_to_y3",
    "classify_x_to_y",
    "regress_x2_to_y3",
    "regress_x_to_y",
    "regress_x_to_y2",
    "serving_default",
  ]);
  const dim = (size: string) => ({ size, name: "" });
  const tensor = (name: string) => ({
    dtype: "DT_FLOAT",
    tensor_shape: { dim: [dim("-1"), dim("1")], unknown_rank: false },
    name,
  });
  assert.deepEqual(signatures.serving_default, {
    inputs: { x: tensor("x:0") },
    outputs: { y: tensor("y:0") },
    method_name: "tensorflow/serving/predict",
    defaults: {},
  });
  const v1 = await getJson(`${model()}/versions/1/metadata`);
  assert.deepEqual(v1.json, res.json);
  const missing = await getJson(`${model()}/versions/3/metadata`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, {
    error: "Servable not found for request: Specific(half_plus_two, 3)",
  });
});

test("GET /v1/models lists every model with versions, states and labels", async () => {
  const res = await getJson(`${server.url}/v1/models`);
  assert.equal(res.status, 200);
  const { models } = res.json as {
    models: {
      name: string;
      labels: object;
      model_version_status: { version: string; state: string; size_bytes: number }[];
    }[];
  };
  assert.deepEqual(
    models.map((m) => m.name),
    ["half_plus_two"],
  );
  const [version] = models[0]!.model_version_status;
  assert.equal(version!.version, "1");
  assert.equal(version!.state, "AVAILABLE");
  assert.ok(version!.size_bytes > 0);
  assert.deepEqual(models[0]!.labels, {});
});

test("health needs no model name; readiness is true once models are AVAILABLE", async () => {
  const live = await getJson(`${server.url}/v2/health/live`);
  assert.equal(live.status, 200);
  assert.deepEqual(live.json, { live: true });
  const ready = await getJson(`${server.url}/v2/health/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.json, { ready: true });
});

test("metrics: Prometheus text with TF Serving's metric names", async () => {
  await postJson(`${model()}:predict`, { instances: [1] });
  await postJson(`${model()}:predict`, { instances: ["bad"] });
  const res = await fetch(`${server.url}/monitoring/prometheus/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await res.text();
  assert.match(text, /# TYPE :tensorflow:serving:request_count counter/);
  assert.match(text, /# TYPE :tensorflow:serving:request_latency histogram/);
  const count = (status: string) =>
    Number(
      new RegExp(
        `:tensorflow:serving:request_count\\{model_name="half_plus_two",[^}]*status="${status}"\\} (\\d+)`,
      ).exec(text)?.[1] ?? 0,
    );
  assert.ok(count("OK") >= 1);
  assert.ok(count("INVALID_ARGUMENT") >= 1);
  assert.match(
    text,
    /:tensorflow:serving:request_latency_bucket\{le="10",model_name="half_plus_two",[^}]*API="predict",entrypoint="REST"\} \d+/,
  );
});

test("every REST answer is application/json; other paths and methods get TF Serving's errors", async () => {
  for (const url of [model(), `${model()}/metadata`, `${server.url}/v1/models`]) {
    const res = await fetch(url);
    assert.equal(res.headers.get("content-type"), "application/json", url);
  }
  const put = await fetch(model(), { method: "PUT" });
  assert.equal(put.status, 400);
  assert.deepEqual(await put.json(), { error: "Malformed request: PUT /v1/models/half_plus_two" });
  const getPredict = await getJson(`${model()}:predict`);
  assert.equal(getPredict.status, 400);
  assert.deepEqual(getPredict.json, {
    error: "Malformed request: GET /v1/models/half_plus_two:predict",
  });
  const postMetadata = await postJson(`${model()}/metadata`, {});
  assert.deepEqual(postMetadata.json, {
    error: "Malformed request: POST /v1/models/half_plus_two/metadata",
  });
  const wrongWord = await postJson(`${model()}/version/1:predict`, { instances: [1] });
  assert.equal(wrongWord.status, 400);
  assert.deepEqual(wrongWord.json, {
    error: "Malformed request: POST /v1/models/half_plus_two/version/1:predict",
  });
});
