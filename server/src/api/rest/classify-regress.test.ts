import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ServingError,
  CLASSIFY_METHOD,
  REGRESS_METHOD,
  tensorInfo,
  type SignatureDefMap,
} from "@servable/protocol";
import type { Servable } from "../../core/servable";
import { parseJson } from "../json/json-parser";
import {
  parseExampleRequest,
  writeClassifyResponse,
  writeRegressResponse,
} from "./classify-regress";

const column = (name: string) => tensorInfo(name, "DT_FLOAT", [-1, 1]);
const SIGNATURES: SignatureDefMap = {
  signature_def: {
    classify_x_to_y: {
      inputs: { x: column("x:0") },
      outputs: { scores: column("y:0") },
      method_name: CLASSIFY_METHOD,
    },
    regress_x_to_y: {
      inputs: { x: column("x:0") },
      outputs: { outputs: column("y:0") },
      method_name: REGRESS_METHOD,
    },
    serialized: {
      inputs: { inputs: tensorInfo("tf_example:0", "DT_STRING", undefined) },
      outputs: { outputs: column("y:0") },
      method_name: REGRESS_METHOD,
    },
  },
};
const servable: Servable = {
  signatures: SIGNATURES,
  runtime: "test",
  run: () => Promise.reject(new Error("not run in these tests")),
};

const classify = (body: string) => parseExampleRequest(parseJson(body), servable, "classify");
const regress = (body: string) => parseExampleRequest(parseJson(body), servable, "regress");

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ServingError, String(error));
    assert.equal(error.code, "INVALID_ARGUMENT");
    return error.message;
  }
  assert.fail("accepted");
}

test("examples become one tensor per input, context features shared", () => {
  const request = regress(
    '{"signature_name": "regress_x_to_y", "context": {"x": 9.0}, "examples": [{"x": 1.0}, {"x": 2.5}, {}]}',
  );
  assert.equal(request.numExamples, 3);
  assert.deepEqual(request.inputs.x!.shape, [3, 1]);
  assert.deepEqual([...(request.inputs.x!.data as Float32Array)], [1, 2.5, 9]);
});

test("a signature with one DT_STRING 'inputs' gets serialized tf.Examples", () => {
  const request = regress('{"signature_name": "serialized", "examples": [{"x": [1.0], "s": "a"}]}');
  const [example] = request.inputs.inputs!.data as Uint8Array[];
  assert.equal(request.inputs.inputs!.dtype, "DT_STRING");
  // Example{features{feature{key:"x" float_list{value:1}}, ...}} starts with field 1, bytes.
  assert.equal(example![0], 0x0a);
  assert.ok(Buffer.from(example!).includes(Buffer.from("x")));
});

test("request errors: TF Serving's texts", () => {
  const cases: [typeof classify, string, string][] = [
    [
      classify,
      '{"signature_name": "classify_x_to_y"}',
      'JSON Value: {\n    "signature_name": "classify_x_to_y"\n} When method is classify, key \'examples\' is expected and was not found',
    ],
    [
      regress,
      '{"examples": {"x": 1.0}}',
      'JSON Value: {\n    "examples": {\n        "x": 1.0\n    }\n} Expecting \'examples\' value to be an list/array',
    ],
    [
      regress,
      '{"examples": []}',
      "JSON Value: {\n    \"examples\": []\n} 'examples' value is an empty array",
    ],
    [regress, '{"examples": [[1.0]]}', "Example must be JSON object but got JSON Array"],
    [
      regress,
      '{"examples": [{"x": null}]}',
      "Feature: x has element with unexpected JSON type: Null",
    ],
    [
      regress,
      '{"examples": [{"x": [[1.0]]}]}',
      "Feature: x has element with unexpected JSON type: Array",
    ],
    [
      regress,
      '{"examples": [{"x": [1.0, "a"]}]}',
      "Unexpected element type in feature: x expecting type: float",
    ],
    [
      regress,
      '{"examples": [{"x": 18446744073709551615}]}',
      "Feature: x has uint64_t element. Only int64_t is supported.",
    ],
    [regress, "[1]", "JSON Value: [1] Is not object"],
    [
      regress,
      '{"signature_name": "nope", "examples": [{"x": 1.0}]}',
      "No signature was found with the name: nope",
    ],
  ];
  for (const [method, body, message] of cases)
    assert.equal(
      errorOf(() => method(body)),
      message,
      body,
    );
});

test("an int feature does not feed a float input: send 2.0, not 2", () => {
  assert.equal(
    errorOf(() => regress('{"signature_name": "regress_x_to_y", "examples": [{"x": 2}]}')),
    "Name: <unknown>, Key: x, Index: 0.  Data types don't match. Data type: int64 but expected type: float",
  );
  assert.equal(
    errorOf(() => regress('{"signature_name": "regress_x_to_y", "examples": [{"y": 2.0}]}')),
    "Name: <unknown>, Key: x, Index: 0.  Feature: x (data type: float) is required but could not be found.",
  );
});

test("a signature that is not a classification's or regression's fails TF Serving's first check, quoted as DebugString", () => {
  // TF Serving checks the input ("inputs") before the outputs (classifier.cc, regressor.cc).
  assert.equal(
    errorOf(() => classify('{"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}]}')),
    `No classification inputs found in SignatureDef: inputs {
  key: "x"
  value {
    name: "x:0"
    dtype: DT_FLOAT
    tensor_shape {
      dim {
        size: -1
      }
      dim {
        size: 1
      }
    }
  }
}
outputs {
  key: "outputs"
  value {
    name: "y:0"
    dtype: DT_FLOAT
    tensor_shape {
      dim {
        size: -1
      }
      dim {
        size: 1
      }
    }
  }
}
method_name: "tensorflow/serving/regress"
`,
  );
  assert.match(
    errorOf(() => regress('{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}]}')),
    /^No regression inputs found in SignatureDef: inputs {\n {2}key: "x"\n/,
  );
  // In TF Serving's form the input passes, and the outputs are what is missing.
  assert.match(
    errorOf(() => classify('{"signature_name": "serialized", "examples": [{"x": 1.0}]}')),
    /^Expected classification signature outputs to contain at least one of "classes" or "scores"\. Signature was: inputs {\n {2}key: "inputs"\n {2}value {\n {4}name: "tf_example:0"\n {4}dtype: DT_STRING\n {4}tensor_shape {\n {6}unknown_rank: true\n/,
  );
});

test('responses: {"results": ...} laid out as TF Serving writes them', () => {
  const request = regress(
    '{"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}, {"x": 3.0}]}',
  );
  const outputs = {
    outputs: { dtype: "DT_FLOAT" as const, shape: [2, 1], data: Float32Array.of(2.5, 3.5) },
  };
  assert.equal(writeRegressResponse(outputs, request), '{\n    "results": [2.5, 3.5]\n}');

  const cRequest = classify(
    '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 2.0}]}',
  );
  const scores = {
    scores: { dtype: "DT_FLOAT" as const, shape: [2, 1], data: Float32Array.of(2.5, 3) },
  };
  assert.equal(
    writeClassifyResponse(scores, cRequest, undefined),
    '{\n    "results": [[["", 2.5]], [["", 3.0]]\n    ]\n}',
  );
  assert.deepEqual(JSON.parse(writeClassifyResponse(scores, cRequest, ["yes"])), {
    results: [[["yes", 2.5]], [["yes", 3]]],
  });
});
