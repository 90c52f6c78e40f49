import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { getJson, postJson, demoServerForTests } from "../support";

/** HTTP options around the contract: gzip bodies, CORS, and a base path. */
const SEED = '{"instances": [1.0, 2.0, 5.0]}';
const SEED_ANSWER = '{"predictions":[2.5,3.0,4.5]}';
const compact = (text: string) => text.replace(/\s/g, "");

describe("a server with default options", () => {
  const server = demoServerForTests();

  test("a gzip body is un-gzipped, as TF Serving does", async () => {
    const res = await fetch(`${server.url}/v1/models/half_plus_two:predict`, {
      method: "POST",
      body: gzipSync(SEED),
      headers: { "Content-Encoding": "gzip", "Content-Type": "application/json" },
    });
    assert.equal(res.status, 200);
    assert.equal(compact(await res.text()), SEED_ANSWER);
    const regress = await fetch(`${server.url}/v1/models/half_plus_two:regress`, {
      method: "POST",
      body: gzipSync('{"signature_name": "regress_x_to_y2", "examples": [{"x": 1.0}]}'),
      headers: { "Content-Encoding": "gzip" },
    });
    assert.equal(compact(await regress.text()), '{"results":[3.5]}');
  });

  test("without --rest_api_enable_cors_support: no CORS headers, OPTIONS is malformed", async () => {
    const res = await fetch(`${server.url}/v1/models/half_plus_two:predict`, {
      method: "POST",
      body: SEED,
      headers: { Origin: "http://localhost:8888" },
    });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    const preflight = await fetch(`${server.url}/v1/models/half_plus_two:predict`, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:8888" },
    });
    assert.equal(preflight.status, 400);
    assert.deepEqual(await preflight.json(), {
      error: "Malformed request: OPTIONS /v1/models/half_plus_two:predict",
    });
  });
});

describe("--rest_api_enable_cors_support", () => {
  const server = demoServerForTests("--rest_api_enable_cors_support");

  test("answers carry TF Serving's CORS headers", async () => {
    const res = await fetch(`${server.url}/v1/models/half_plus_two:predict`, {
      method: "POST",
      body: SEED,
      headers: { Origin: "http://localhost:8888" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /^POST, GET\b/);
    assert.match(res.headers.get("access-control-allow-headers") ?? "", /^Content-Type\b/);
    const status = await fetch(`${server.url}/v1/models/half_plus_two`);
    assert.equal(status.headers.get("access-control-allow-origin"), "*");
    const error = await fetch(`${server.url}/v1/models/nope:predict`, {
      method: "POST",
      body: SEED,
    });
    assert.equal(error.status, 404);
    assert.equal(error.headers.get("access-control-allow-origin"), "*", "errors too");
  });

  test("a preflight with an http(s) Origin is 200; without one, TF Serving's 400", async () => {
    const ok = await fetch(`${server.url}/v1/models/half_plus_two:predict`, {
      method: "OPTIONS",
      headers: { Origin: "https://lab.example.org", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "*");
    const missing = await fetch(`${server.url}/v1/models/half_plus_two:predict`, {
      method: "OPTIONS",
    });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), {
      error: "Origin header is missing in CORS preflight",
    });
  });
});

describe("--rest_api_base_path", () => {
  const BASE = "/proxy/8501";
  const server = demoServerForTests(`--rest_api_base_path=${BASE}`);

  test("every route answers under the base path", async () => {
    const predict = await postJson(`${server.url}${BASE}/v1/models/half_plus_two:predict`, SEED);
    assert.equal(predict.status, 200);
    assert.equal(compact(predict.text), SEED_ANSWER);
    const status = await getJson(`${server.url}${BASE}/v1/models/half_plus_two`);
    assert.equal(status.status, 200);
    assert.equal(
      (status.json as { model_version_status: { state: string }[] }).model_version_status[0]!.state,
      "AVAILABLE",
    );
    const metadata = await getJson(`${server.url}${BASE}/v1/models/half_plus_two/metadata`);
    assert.equal(metadata.status, 200);
    assert.equal((await getJson(`${server.url}${BASE}/v1/models`)).status, 200);
    assert.equal((await getJson(`${server.url}${BASE}/v2/health/ready`)).status, 200);
    const metrics = await fetch(`${server.url}${BASE}/monitoring/prometheus/metrics`);
    assert.equal(metrics.status, 200);
    const malformed = await getJson(`${server.url}${BASE}/v1/foo`);
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.json, { error: "Malformed request: GET /v1/foo" });
  });

  test("paths outside the base path are 404", async () => {
    const outside = await postJson(`${server.url}/v1/models/half_plus_two:predict`, SEED);
    assert.equal(outside.status, 404);
    assert.deepEqual(outside.json, { error: `Not under ${BASE}` });
    const lookalike = await getJson(`${server.url}${BASE}x/v1/models`);
    assert.equal(lookalike.status, 404);
  });
});
