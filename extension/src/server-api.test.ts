import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ServerResponseError } from "./request";
import { parseModelList, parseSignatures } from "./server-api";

test("the listing of docs/management-api.md reads as served models", () => {
  const body = {
    models: [
      {
        name: "half_plus_two",
        labels: { stable: "1" },
        model_version_status: [
          {
            version: "1",
            state: "AVAILABLE",
            status: { error_code: "OK", error_message: "" },
            labels: ["stable"],
            size_bytes: 10135,
            available_since: "2026-11-24T09:21:49.166Z",
            engine: "tfjs",
            engine_reason: "TF.js graph models are not compiled to ONNX",
          },
          {
            version: "2",
            state: "END",
            status: { error_code: "INVALID_ARGUMENT", error_message: "Unsupported op: Foo" },
            labels: [],
          },
        ],
      },
    ],
  };
  assert.deepEqual(parseModelList(body), [
    {
      name: "half_plus_two",
      labels: { stable: "1" },
      versions: [
        {
          version: "1",
          state: "AVAILABLE",
          errorCode: "OK",
          errorMessage: "",
          labels: ["stable"],
          sizeBytes: 10135,
          availableSince: "2026-11-24T09:21:49.166Z",
          engine: "tfjs",
          engineReason: "TF.js graph models are not compiled to ONNX",
        },
        {
          version: "2",
          state: "END",
          errorCode: "INVALID_ARGUMENT",
          errorMessage: "Unsupported op: Foo",
          labels: [],
        },
      ],
    },
  ]);
});

test("an answer that is not a listing is a server error, not a crash", () => {
  assert.throws(() => parseModelList({ error: "nope" }), ServerResponseError);
  assert.throws(() => parseModelList([1, 2]), ServerResponseError);
});

test("signatures read from the metadata endpoint's shape (the demo model's)", () => {
  const file = join(
    __dirname,
    "..",
    "..",
    "server",
    "demo",
    "models",
    "half_plus_two",
    "1",
    "signatures.json",
  );
  const signatureDef = JSON.parse(readFileSync(file, "utf8")).signature_def;
  const signatures = parseSignatures({
    model_spec: { name: "half_plus_two", signature_name: "", version: "1" },
    metadata: { signature_def: { signature_def: signatureDef } },
  });
  assert.deepEqual(signatures.serving_default, {
    methodName: "tensorflow/serving/predict",
    inputs: { x: { dtype: "DT_FLOAT", shape: [-1, 1] } },
  });
  assert.equal(signatures.classify_x_to_y.methodName, "tensorflow/serving/classify");
  assert.throws(() => parseSignatures({}), ServerResponseError);
});
