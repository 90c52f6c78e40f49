import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import { getJson, postJson, demoServerForTests } from "../support";

/**
 * Bad input of every kind gets a 4xx with TF Serving's body and text; afterwards the server
 * still serves, and nothing was logged as a crash.
 */
const MAX_BODY_BYTES = 64 * 1024;
const server = demoServerForTests(
  "--file_system_poll_wait_seconds=1",
  `--rest_api_max_body_bytes=${MAX_BODY_BYTES}`,
);

const model = () => `${server.url}/v1/models/half_plus_two`;

/** POSTs a raw body and checks the status and TF Serving's error body, exactly. */
async function expectError(
  path: string,
  body: string | Buffer,
  status: number,
  error: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const res = await fetch(`${server.url}${path}`, { method: "POST", body: payload, headers });
  const text = await res.text();
  assert.equal(res.status, status, `${path} ${String(body).slice(0, 80)}: ${text}`);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(text), { error }, `${path} ${String(body).slice(0, 80)}`);
  assert.equal(text, `{\n    "error": ${JSON.stringify(error)}\n}`, "rapidjson's layout");
}

const PREDICT = "/v1/models/half_plus_two:predict";

test("malformed JSON: rapidjson's message and offset", async () => {
  await expectError(PREDICT, "", 400, "JSON Parse error: The document is empty");
  await expectError(
    PREDICT,
    '{"instances": [1.0, 2.0, 5.0',
    400,
    "JSON Parse error: Missing a comma or ']' after an array element. at offset: 28",
  );
  await expectError(
    PREDICT,
    "{instances: [1]}",
    400,
    "JSON Parse error: Missing a name for object member. at offset: 1",
  );
  await expectError(PREDICT, "xyz", 400, "JSON Parse error: Invalid value. at offset: 0");
  await expectError(PREDICT, "nonsense", 400, "JSON Parse error: Invalid value. at offset: 1");
  await expectError(PREDICT, "[1.0, 2.0]", 400, "JSON Value: [1.0, 2.0] Is not object");
  // Nesting no tensor can have (a stack overflow for a recursive parser); the object is level 1.
  const depth = 20_000;
  await expectError(
    PREDICT,
    `{"instances": ${"[".repeat(depth)}1.0${"]".repeat(depth)}}`,
    400,
    "JSON Parse error: Nesting deeper than 512 levels. at offset: 525",
  );
  await expectError(
    "/v1/models/half_plus_two:regress",
    '{"examples": [{"x": 1.0}',
    400,
    "JSON Parse error: Missing a comma or ']' after an array element. at offset: 24",
  );
});

test("deep nesting on the V2 infer route is a 400 too", async () => {
  const depth = 20_000;
  await expectError(
    "/v2/models/half_plus_two/infer",
    `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ${"[".repeat(depth)}1${"]".repeat(depth)}}]}`,
    400,
    "JSON Parse error: Nesting deeper than 512 levels. at offset: 577",
  );
});

test("wrong dtypes and shapes", async () => {
  await expectError(
    PREDICT,
    '{"instances": [1.0, "two"]}',
    400,
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"two\" Type: String is not of expected type: float",
  );
  await expectError(
    PREDICT,
    '{"instances": [[1.0], [2.0, 3.0]]}',
    400,
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 1 but got: 2",
  );
  await expectError(
    PREDICT,
    '{"instances": [[1.0, 2.0], [[3.0], [4.0]]]}',
    400,
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [2] but got: [2,1]",
  );
  await expectError(
    PREDICT,
    '{"inputs": [[1.0, 2.0], [3.0]]}',
    400,
    "Encountered list at unexpected size: 1 at level: 1 expected size: 2",
  );
  await expectError(
    PREDICT,
    '{"instances": 1.0}',
    400,
    "JSON Value: {\n    \"instances\": 1.0\n} Expecting 'instances' to be an list/array",
  );
  await expectError(
    PREDICT,
    '{"instances": []}',
    400,
    "JSON Value: {\n    \"instances\": []\n} No values in 'instances' array",
  );
  await expectError(PREDICT, '{"instance": [1.0]}', 400, "Missing 'inputs' or 'instances' key");
  await expectError(
    "/v1/models/half_plus_two:regress",
    '{"signature_name": "regress_x_to_y", "examples": [{"x": 1}]}',
    400,
    "Name: <unknown>, Key: x, Index: 0.  Data types don't match. Data type: int64 but expected type: float",
  );
  await expectError(
    "/v1/models/half_plus_two:classify",
    '{"signature_name": "classify_x_to_y"}',
    400,
    'JSON Value: {\n    "signature_name": "classify_x_to_y"\n} When method is classify, key \'examples\' is expected and was not found',
  );
});

test("unknown signature", async () => {
  await expectError(
    PREDICT,
    '{"signature_name": "serving_defualt", "instances": [1.0]}',
    400,
    'Serving signature name: "serving_defualt" not found in signature def',
  );
  await expectError(
    PREDICT,
    '{"signature_name": 1, "instances": [1.0]}',
    400,
    'JSON Value: {\n    "signature_name": 1,\n    "instances": [1.0]\n} not formatted correctly. \'signature_name\' key must be a string value.',
  );
});

test("unknown model, version or label", async () => {
  const body = '{"instances": [1.0]}';
  await expectError(
    "/v1/models/nope:predict",
    body,
    404,
    "Servable not found for request: Latest(nope)",
  );
  await expectError(
    "/v1/models/half_plus_two/versions/9:predict",
    body,
    404,
    "Servable not found for request: Specific(half_plus_two, 9)",
  );
  await expectError(
    "/v1/models/half_plus_two/labels/stable:predict",
    body,
    400,
    "Unrecognized servable version label: stable",
  );
  await expectError(
    "/v1/models/nope:classify",
    '{"examples": [{"x": 1.0}]}',
    404,
    "Servable not found for request: Latest(nope)",
  );
  // As TF Serving, the body is read before the model is looked up.
  await expectError(
    "/v1/models/nope:predict",
    "{",
    400,
    "JSON Parse error: Missing a name for object member. at offset: 1",
  );
});

test("names that are JavaScript internals are unknown names: a 4xx, never a 500", async () => {
  for (const key of ["constructor", "hasOwnProperty", "__proto__"]) {
    await expectError(
      PREDICT,
      `{"instances": [{"x": 1.0, "${key}": 1.0}]}`,
      400,
      `Failed to process element: 0 key: ${key} of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: ${key}`,
    );
  }
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    await expectError(
      PREDICT,
      `{"signature_name": "${name}", "instances": [1.0]}`,
      400,
      `Serving signature name: "${name}" not found in signature def`,
    );
  }
  await expectError(
    "/v1/models/half_plus_two:classify",
    '{"signature_name": "constructor", "examples": [{"x": 1.0}]}',
    400,
    "No signature was found with the name: constructor",
  );
  await expectError(
    "/v1/models/half_plus_two:regress",
    '{"signature_name": "valueOf", "examples": [{"x": 1.0}]}',
    400,
    "No signature was found with the name: valueOf",
  );
  const x = '"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [1]}]';
  await expectError(
    "/v2/models/half_plus_two/infer",
    `{"parameters": {"signature_name": "toString"}, ${x}}`,
    400,
    'Serving signature name: "toString" not found in signature def',
  );
  await expectError(
    "/v2/models/half_plus_two/infer",
    `{"outputs": [{"name": "constructor"}], ${x}}`,
    400,
    "Unknown output requested: constructor",
  );
  await expectError(
    "/v2/models/half_plus_two/infer",
    '{"inputs": [{"name": "__proto__", "shape": [1], "datatype": "FP32", "data": [1]}]}',
    400,
    "Unexpected input '__proto__': the model's inputs are x",
  );
  await expectError(
    "/v2/models/half_plus_two/infer",
    '{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "constructor", "data": [1]}]}',
    400,
    "Input 'x' has datatype constructor but the model expects FP32",
  );
  await expectError(
    "/v1/models/constructor:predict",
    '{"instances": [1.0]}',
    404,
    "Servable not found for request: Latest(constructor)",
  );
});

test("duplicate keys: the first one counts, on every path (rapidjson's FindMember)", async () => {
  for (const body of [
    '{"instances": [1.0, 2.0, 5.0], "instances": [9.0]}',
    '{"instances": [1.0, 2.0, 5.0], "instances": [9.0]} trailing bytes',
    '{"instances": [1, 2, 5], "instances": [9.0]}',
  ]) {
    const answer = await postJson(`${server.url}${PREDICT}`, body);
    assert.equal(answer.status, 200, body);
    assert.equal(answer.text.replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}', body);
  }
});

test("non-numeric and out-of-range versions", async () => {
  const body = '{"instances": [1.0]}';
  await expectError(
    "/v1/models/half_plus_two/versions/one:predict",
    body,
    400,
    "Malformed request: POST /v1/models/half_plus_two/versions/one:predict",
  );
  await expectError(
    "/v1/models/half_plus_two/versions/-1:predict",
    body,
    400,
    "Malformed request: POST /v1/models/half_plus_two/versions/-1:predict",
  );
  await expectError(
    "/v1/models/half_plus_two/versions/99999999999999999999:predict",
    body,
    400,
    "Failed to convert version: 99999999999999999999 to numeric.",
  );
  const status = await getJson(`${model()}/versions/one`);
  assert.equal(status.status, 400);
  assert.deepEqual(status.json, {
    error: "Malformed request: GET /v1/models/half_plus_two/versions/one",
  });
});

/** A POST with a chunked body (no Content-Length), as a streaming client sends it. */
function postChunked(path: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: "POST" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

test("bodies over --rest_api_max_body_bytes: 413, however they arrive", async () => {
  const limitText = `Request body is larger than the server's limit of ${MAX_BODY_BYTES} bytes`;
  const big = `{"instances": [${Array.from({ length: MAX_BODY_BYTES / 4 }, () => "1.0").join(",")}]}`;
  await expectError(PREDICT, big, 413, limitText);
  const chunked = await postChunked(
    PREDICT,
    Array.from({ length: 20 }, () => Buffer.alloc(8 * 1024, 0x20)),
  );
  assert.equal(chunked.status, 413);
  assert.deepEqual(JSON.parse(chunked.body), { error: limitText });
  // A small gzip body that inflates beyond the limit.
  const bomb = gzipSync(Buffer.alloc(MAX_BODY_BYTES * 16, 0x20));
  assert.ok(bomb.length < MAX_BODY_BYTES);
  await expectError(PREDICT, bomb, 413, limitText, { "Content-Encoding": "gzip" });
  // Just under the limit is fine.
  const fits = `{"instances": [1.0], "padding": "${" ".repeat(MAX_BODY_BYTES - 100)}"}`;
  assert.equal((await postJson(`${server.url}${PREDICT}`, fits)).status, 200);
});

test("a body that says gzip but is not", async () => {
  const res = await fetch(`${server.url}${PREDICT}`, {
    method: "POST",
    body: '{"instances": [1.0]}',
    headers: { "Content-Encoding": "gzip" },
  });
  assert.equal(res.status, 400);
  assert.match(
    ((await res.json()) as { error: string }).error,
    /^Request body is not valid gzip: /,
  );
});

test("clients that hang up mid-body, or do not speak HTTP, cost nothing", async () => {
  const sendAndClose = (bytes: string, waitForAnswer: boolean) =>
    new Promise<string>((resolve) => {
      let answer = "";
      const socket = connect(server.port, "127.0.0.1", () => {
        socket.write(bytes);
        if (!waitForAnswer) setTimeout(() => socket.destroy(), 20);
      });
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (answer += chunk));
      socket.on("close", () => resolve(answer));
      socket.on("error", () => resolve(answer));
    });
  for (let i = 0; i < 10; i++) {
    await sendAndClose(
      `POST ${PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"instances": [1.0,`,
      false,
    );
  }
  const garbage = await sendAndClose("GARBAGE\r\n\r\n", true);
  assert.match(garbage, /^HTTP\/1\.1 400 Bad Request/);
  const seed = await postJson(`${server.url}${PREDICT}`, '{"instances": [1.0, 2.0, 5.0]}');
  assert.equal(seed.status, 200);
});

test("after all that the server still serves, and logged no crash", async () => {
  const seed = await postJson(`${server.url}${PREDICT}`, '{"instances": [1.0, 2.0, 5.0]}');
  assert.equal(seed.status, 200);
  assert.equal(seed.text.replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}');
  process.kill(server.pid, 0); // throws if the process is gone
  const errors = server.logs.filter((line) => typeof line.level === "number" && line.level >= 50);
  assert.deepEqual(errors, [], "no error or fatal log lines");
  assert.equal(
    server.logs.filter((line) => /uncaught|unhandled/i.test(String(line.msg))).length,
    0,
  );
});
