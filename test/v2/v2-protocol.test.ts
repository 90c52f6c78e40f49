import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { getJson, postJson, ROOT, startServer, type ServerProcess } from "../support";

/** KServe's V2 (Open Inference Protocol) on the demo model, beside TF Serving's API. */
let server: ServerProcess;
before(async () => {
  server = await startServer([`--model_repository=${join(ROOT, "server", "demo", "models")}`]);
});
after(() => server.stop());

test("server and model metadata, readiness", async () => {
  const meta = await getJson(`${server.url}/v2`);
  assert.equal(meta.status, 200);
  assert.equal((meta.json as { name: string }).name, "servable");
  const model = await getJson(`${server.url}/v2/models/half_plus_two`);
  assert.deepEqual(model.json, {
    name: "half_plus_two",
    versions: ["1"],
    platform: "tfjs-wasm",
    inputs: [{ name: "x", datatype: "FP32", shape: [-1, 1] }],
    outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
  });
  assert.equal(
    (await getJson(`${server.url}/v2/models/half_plus_two/versions/1/ready`)).status,
    200,
  );
  assert.equal(
    (await getJson(`${server.url}/v2/models/half_plus_two/versions/9/ready`)).status,
    400,
  );
  assert.equal((await getJson(`${server.url}/v2/health/ready`)).status, 200);
});

test("infer answers as predict does, with the V2 shapes and datatypes", async () => {
  const answer = await postJson(`${server.url}/v2/models/half_plus_two/infer`, {
    id: "req-1",
    inputs: [{ name: "x", shape: [3, 1], datatype: "FP32", data: [1, 2, 5] }],
  });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, {
    model_name: "half_plus_two",
    model_version: "1",
    id: "req-1",
    outputs: [{ name: "y", datatype: "FP32", shape: [3, 1], data: [2.5, 3, 4.5] }],
  });
  const nested = await postJson(`${server.url}/v2/models/half_plus_two/versions/1/infer`, {
    parameters: { signature_name: "regress_x_to_y2" },
    inputs: [{ name: "x", shape: [2, 1], datatype: "FP32", data: [[1], [2]] }],
  });
  assert.deepEqual((nested.json as { outputs: { data: number[] }[] }).outputs[0]!.data, [3.5, 4]);
});

test("bad infer requests are 4xx with an error body, and the server keeps serving", async () => {
  const cases: [unknown, number, RegExp][] = [
    [
      { inputs: [{ name: "x", shape: [1, 1], datatype: "FP64", data: [1] }] },
      400,
      /datatype FP64 but the model expects FP32/,
    ],
    [
      { inputs: [{ name: "x", shape: [2, 1], datatype: "FP32", data: [1] }] },
      400,
      /has 1 values but shape \[2,1\] needs 2/,
    ],
    [
      { inputs: [{ name: "z", shape: [1], datatype: "FP32", data: [1] }] },
      400,
      /Unexpected input 'z'/,
    ],
    [
      { inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: ["a"] }] },
      400,
      /is not of expected type: float/,
    ],
    [{}, 400, /needs an 'inputs' list/],
  ];
  for (const [body, status, text] of cases) {
    const answer = await postJson(`${server.url}/v2/models/half_plus_two/infer`, body);
    assert.equal(answer.status, status, answer.text);
    assert.match((answer.json as { error: string }).error, text);
  }
  const unknown = await postJson(`${server.url}/v2/models/nope/infer`, { inputs: [] });
  assert.equal(unknown.status, 404);
  const ok = await postJson(`${server.url}/v2/models/half_plus_two/infer`, {
    inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: [0] }],
  });
  assert.equal(ok.status, 200);
});
