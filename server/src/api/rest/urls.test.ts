import assert from "node:assert/strict";
import { test } from "node:test";
import { ServingError } from "@servable/protocol";
import { matchInferenceRoute, matchStatusRoute } from "./urls";

test("inference URLs: model, version or label, method; case-insensitive", () => {
  assert.deepEqual(matchInferenceRoute("/v1/models/half_plus_two:predict"), {
    spec: { name: "half_plus_two" },
    method: "predict",
  });
  assert.deepEqual(matchInferenceRoute("/v1/models/m/versions/00000123:classify"), {
    spec: { name: "m", version: 123 },
    method: "classify",
  });
  assert.deepEqual(matchInferenceRoute("/v1/models/m/labels/stable:regress"), {
    spec: { name: "m", label: "stable" },
    method: "regress",
  });
  assert.deepEqual(matchInferenceRoute("/V1/Models/m:PREDICT"), {
    spec: { name: "m" },
    method: "predict",
  });
});

test("URLs TF Serving calls malformed do not match", () => {
  for (const path of [
    "/v1/models/m",
    "/v1/models/m:explain",
    "/v1/models/m/version/50:predict",
    "/v1/models/m/versions/50/labels/x:regress",
    "/v1/models/m/versions/some_label:regress",
    "/v1/models/m/versions/-1:predict",
    "/v1/models/:predict",
    "/v1/foo",
  ]) {
    assert.equal(matchInferenceRoute(path), undefined, path);
  }
});

test("names and labels are URL-decoded as curl_easy_unescape does", () => {
  const route = matchInferenceRoute(
    "/v1/models/modelname%21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D:predict",
  );
  assert.equal(route?.spec.name, "modelname!#$%&'()*+,/:;=?@[]");
  assert.equal(matchInferenceRoute("/v1/models/a%ZZb:predict")?.spec.name, "a%ZZb");
  assert.equal(matchInferenceRoute("/v1/models/m/labels/can%61ry:predict")?.spec.label, "canary");
});

test("a version too large for an integer is TF Serving's conversion error", () => {
  assert.throws(
    () => matchInferenceRoute("/v1/models/m/versions/99999999999999999999:predict"),
    (e: unknown) =>
      e instanceof ServingError &&
      e.code === "INVALID_ARGUMENT" &&
      e.message === "Failed to convert version: 99999999999999999999 to numeric.",
  );
});

test("status and metadata URLs; /v1/models alone is the listing", () => {
  assert.deepEqual(matchStatusRoute("/v1/models"), { spec: undefined, metadata: false });
  assert.deepEqual(matchStatusRoute("/v1/models/m"), { spec: { name: "m" }, metadata: false });
  assert.deepEqual(matchStatusRoute("/v1/models/m/versions/2/metadata"), {
    spec: { name: "m", version: 2 },
    metadata: true,
  });
  assert.deepEqual(matchStatusRoute("/v1/models/m/labels/stable"), {
    spec: { name: "m", label: "stable" },
    metadata: false,
  });
  assert.equal(matchStatusRoute("/v1/models/versions/2"), undefined);
  assert.equal(matchStatusRoute("/v1/models/m/metadata/x"), undefined);
  assert.equal(matchStatusRoute("/v1/models/m/versions/x"), undefined);
});

test("the V2 infer URL", () => {
  assert.deepEqual(matchInferenceRoute("/v2/models/m/versions/3/infer"), {
    spec: { name: "m", version: 3 },
    method: "infer",
  });
});
