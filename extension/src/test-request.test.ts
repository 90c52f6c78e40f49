import assert from "node:assert/strict";
import { test } from "node:test";
import { curlLine, exampleRequest, exampleTensor, methodOf } from "./test-request";

test("predict: one row per example, unknown sizes as 1", () => {
  const body = exampleRequest("serving_default", {
    methodName: "tensorflow/serving/predict",
    inputs: { x: { dtype: "DT_FLOAT", shape: [-1, 1] } },
  });
  assert.deepEqual(JSON.parse(body), { signature_name: "serving_default", instances: [[1]] });
});

test("predict with several inputs: a row of named tensors", () => {
  const body = exampleRequest("s", {
    methodName: "tensorflow/serving/predict",
    inputs: {
      image: { dtype: "DT_FLOAT", shape: [-1, 2, 2] },
      tag: { dtype: "DT_STRING", shape: [-1] },
      count: { dtype: "DT_INT32", shape: null },
    },
  });
  assert.deepEqual(JSON.parse(body).instances, [
    {
      image: [
        [1, 1],
        [1, 1],
      ],
      tag: "text",
      count: 1,
    },
  ]);
});

test("classify and regress: tf.Example features named by the inputs", () => {
  const signature = {
    methodName: "tensorflow/serving/regress",
    inputs: { x2: { dtype: "DT_FLOAT", shape: [-1, 1] } },
  };
  assert.equal(methodOf(signature), "regress");
  assert.deepEqual(JSON.parse(exampleRequest("regress_x2_to_y3", signature)), {
    signature_name: "regress_x2_to_y3",
    examples: [{ x2: 1 }],
  });
});

test("large dimensions are cut to 16 values", () => {
  assert.equal((exampleTensor("DT_FLOAT", [784]) as unknown[]).length, 16);
});

test("the curl line sends the compact body, quoted for a shell", () => {
  assert.equal(
    curlLine("http://localhost:8501/", "iris", "3", "predict", '{\n "instances": ["it\'s"]\n}'),
    `curl -d '{"instances":["it'\\''s"]}' -X POST http://localhost:8501/v1/models/iris/versions/3:predict`,
  );
});
