import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ServingError,
  PREDICT_METHOD,
  tensorInfo,
  type SignatureDefMap,
  type HostTensor,
} from "@servable/protocol";
import { parseJson } from "../json/json-parser";
import { parsePredictRequest } from "./predict-request";

const SIGNATURES: SignatureDefMap = {
  signature_def: {
    serving_default: {
      inputs: { x: tensorInfo("x:0", "DT_FLOAT", [-1, 1]) },
      outputs: { y: tensorInfo("y:0", "DT_FLOAT", [-1, 1]) },
      method_name: PREDICT_METHOD,
    },
    two_inputs: {
      inputs: {
        ids: tensorInfo("ids:0", "DT_INT32", [-1, 2]),
        weights: tensorInfo("weights:0", "DT_FLOAT", [-1]),
      },
      outputs: { y: tensorInfo("y:0", "DT_FLOAT", [-1]) },
      method_name: PREDICT_METHOD,
    },
    text: {
      inputs: { s: tensorInfo("s:0", "DT_STRING", [-1]) },
      outputs: { y: tensorInfo("y:0", "DT_FLOAT", [-1]) },
      method_name: PREDICT_METHOD,
    },
    wide: {
      inputs: {
        big: tensorInfo("big:0", "DT_INT64", [-1]),
        flag: tensorInfo("flag:0", "DT_BOOL", [-1]),
        d: tensorInfo("d:0", "DT_DOUBLE", [-1]),
      },
      outputs: { y: tensorInfo("y:0", "DT_FLOAT", [-1]) },
      method_name: PREDICT_METHOD,
    },
  },
};

const parse = (body: string) => parsePredictRequest(parseJson(body), SIGNATURES);

const plain = (t: HostTensor | undefined) =>
  t && { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<unknown>) };

/** The INVALID_ARGUMENT text a body gets. */
function errorOf(body: string): string {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof ServingError, String(error));
    assert.equal(error.code, "INVALID_ARGUMENT");
    return error.message;
  }
  assert.fail(`${body} was accepted`);
}

test("the seed request: row format, one input, batch of three scalars", () => {
  const request = parse('{"instances": [1.0, 2.0, 5.0]}');
  assert.equal(request.signatureName, "serving_default");
  assert.equal(request.format, "row");
  assert.deepEqual(plain(request.inputs.x), { dtype: "DT_FLOAT", shape: [3], data: [1, 2, 5] });
});

test("row format: elements' shapes become the tensor's after the batch dimension", () => {
  const request = parse('{"instances": [[1], [2]]}');
  assert.deepEqual(plain(request.inputs.x), { dtype: "DT_FLOAT", shape: [2, 1], data: [1, 2] });
  const named = parse('{"instances": [{"x": [1]}, {"x": [2]}]}');
  assert.deepEqual(plain(named.inputs.x)?.shape, [2, 1]);
});

test("row format with several inputs: one object per instance", () => {
  const request = parse(
    '{"signature_name": "two_inputs", "instances": [{"ids": [1, 2], "weights": 0.5}, {"ids": [3, 4], "weights": 1.5}]}',
  );
  assert.deepEqual(plain(request.inputs.ids), {
    dtype: "DT_INT32",
    shape: [2, 2],
    data: [1, 2, 3, 4],
  });
  assert.deepEqual(plain(request.inputs.weights), {
    dtype: "DT_FLOAT",
    shape: [2],
    data: [0.5, 1.5],
  });
});

test("columnar format: each input's shape is its own nesting", () => {
  const request = parse(
    '{"signature_name": "two_inputs", "inputs": {"ids": [[1, 2]], "weights": [0.5, 1.5, 2.5]}}',
  );
  assert.equal(request.format, "columnar");
  assert.deepEqual(plain(request.inputs.ids)?.shape, [1, 2]);
  assert.deepEqual(plain(request.inputs.weights)?.shape, [3]);
  const single = parse('{"inputs": [[1], [2], [3]]}');
  assert.deepEqual(plain(single.inputs.x), { dtype: "DT_FLOAT", shape: [3, 1], data: [1, 2, 3] });
  const scalar = parse('{"inputs": 7}');
  assert.deepEqual(plain(scalar.inputs.x), { dtype: "DT_FLOAT", shape: [], data: [7] });
});

test('strings: plain text as UTF-8 bytes, {"b64": ...} decoded', () => {
  const request = parse('{"signature_name": "text", "instances": ["héllo", {"b64": "AAEC"}]}');
  const data = request.inputs.s!.data as Uint8Array[];
  assert.equal(Buffer.from(data[0]!).toString("utf8"), "héllo");
  assert.deepEqual([...data[1]!], [0, 1, 2]);
  const columnar = parse('{"signature_name": "text", "inputs": {"b64": "aGk="}}');
  assert.equal(Buffer.from((columnar.inputs.s!.data as Uint8Array[])[0]!).toString(), "hi");
  // absl::Base64Unescape: padding may be left out.
  const unpadded = parse('{"signature_name": "text", "inputs": [{"b64": "aGk"}, {"b64": "aA"}]}');
  const texts = (unpadded.inputs.s!.data as Uint8Array[]).map((b) => Buffer.from(b).toString());
  assert.deepEqual(texts, ["hi", "h"]);
});

test("int64 exact beyond 2^53, bools, doubles, NaN for floats", () => {
  const request = parse(
    '{"signature_name": "wide", "inputs": {"big": [9223372036854775807, -1], "flag": [true, false], "d": [0.1, 2]}}',
  );
  assert.deepEqual(plain(request.inputs.big)?.data, [9223372036854775807n, -1n]);
  assert.deepEqual(plain(request.inputs.flag)?.data, [1, 0]);
  assert.deepEqual(plain(request.inputs.d)?.data, [0.1, 2]);
  const nan = parse('{"instances": [NaN, Infinity, -Infinity]}');
  const values = plain(nan.inputs.x)!.data as number[];
  assert.ok(Number.isNaN(values[0]));
  assert.deepEqual(values.slice(1), [Infinity, -Infinity]);
});

test("top-level errors: TF Serving's texts", () => {
  assert.equal(errorOf("[1, 2]"), "JSON Value: [1, 2] Is not object");
  assert.equal(
    errorOf('{"signature_name": 5, "instances": [1]}'),
    'JSON Value: {\n    "signature_name": 5,\n    "instances": [1]\n} not formatted correctly. \'signature_name\' key must be a string value.',
  );
  assert.equal(
    errorOf('{"signature_name": "nope", "instances": [1]}'),
    'Serving signature name: "nope" not found in signature def',
  );
  assert.equal(
    errorOf('{"instances": [1], "inputs": [1]}'),
    "JSON Value: {\n    \"instances\": [1],\n    \"inputs\": [1]\n} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ",
  );
  assert.equal(
    errorOf('{"instances": 5}'),
    "JSON Value: {\n    \"instances\": 5\n} Expecting 'instances' to be an list/array",
  );
  assert.equal(
    errorOf('{"instances": []}'),
    "JSON Value: {\n    \"instances\": []\n} No values in 'instances' array",
  );
  assert.equal(errorOf('{"examples": [1]}'), "Missing 'inputs' or 'instances' key");
});

test("element errors name the element and quote the inner error with its code", () => {
  assert.equal(
    errorOf('{"instances": [1.0, "a"]}'),
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"a\" Type: String is not of expected type: float",
  );
  assert.equal(
    errorOf('{"instances": [[1], [2, 3]]}'),
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 1 but got: 2",
  );
  assert.equal(
    errorOf('{"instances": [[1, 2], [[3], [4]]]}'),
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [2] but got: [2,1]",
  );
  assert.equal(
    errorOf('{"instances": [[1, 2], [3]]}'),
    "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 2 but got: 1",
  );
  assert.equal(
    errorOf('{"instances": [[[1, 2], [3]]]}'),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: Encountered list at unexpected size: 1 at level: 1 expected size: 2",
  );
  assert.equal(
    errorOf('{"instances": [[1, [2]]]}'),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: Encountered list at unexpected level: 1 expected < 1",
  );
  assert.equal(
    errorOf('{"instances": [[[1], 2]]}'),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: 2 found at incorrect level: 2 in the JSON DOM. Expected at level: 2",
  );
  assert.equal(
    errorOf('{"instances": [true]}'),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: true Type: True is not of expected type: float",
  );
  assert.equal(
    errorOf('{"instances": [null]}'),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: null Type: Null is not of expected type: float",
  );
});

test("dtype checks: ints for int32, no 2.0; strings need base64 done right", () => {
  assert.equal(
    errorOf('{"signature_name": "two_inputs", "inputs": {"ids": [[1.5, 2]], "weights": [1]}}'),
    "JSON Value: 1.5 Type: Number is not of expected type: int32",
  );
  assert.equal(
    errorOf('{"signature_name": "two_inputs", "inputs": {"ids": [[2.0, 2]], "weights": [1]}}'),
    "JSON Value: 2.0 Type: Number is not of expected type: int32",
  );
  assert.equal(
    errorOf('{"signature_name": "text", "instances": [{"b64": "a-_b"}]}'),
    "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: Unable to base64 decode",
  );
  assert.equal(
    errorOf('{"signature_name": "text", "inputs": [{"b64": "aGk=="}]}'),
    "Unable to base64 decode",
  );
  assert.equal(
    errorOf('{"signature_name": "text", "inputs": [5]}'),
    "JSON Value: 5 Type: Number is not of expected type: string",
  );
  assert.equal(
    errorOf('{"signature_name": "wide", "inputs": {"big": [1.5], "flag": [true], "d": [1]}}'),
    "JSON Value: 1.5 Type: Number is not of expected type: int64",
  );
  assert.equal(
    errorOf('{"signature_name": "wide", "inputs": {"big": [1], "flag": [1], "d": [1]}}'),
    "JSON Value: 1 Type: Number is not of expected type: bool",
  );
  assert.equal(
    errorOf('{"instances": [{"b64": "AAEC"}]}'),
    'Failed to process element: 0 of \'instances\' list. Error: INVALID_ARGUMENT: JSON Value: {\n    "b64": "AAEC"\n} Type: Object is not of expected type: float',
  );
});

test("several inputs: objects with exactly the input names", () => {
  const sig = '"signature_name": "two_inputs"';
  assert.equal(
    errorOf(`{${sig}, "instances": [[1, 2]]}`),
    "instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map",
  );
  assert.equal(
    errorOf(`{${sig}, "instances": [{"ids": [1, 2], "weights": 1}, [1, 2]]}`),
    "Expecting object but got list at item 1 of input list",
  );
  assert.equal(
    errorOf('{"instances": [1, {"x": 1}]}'),
    "Expecting value/list but got object at item 1 of input list",
  );
  assert.equal(
    errorOf(`{${sig}, "instances": [{"ids": [1, 2]}]}`),
    "Failed to process element: 0 of 'instances' list. JSON object: {\n    \"ids\": [1, 2]\n} keys must be equal to: ids,weights",
  );
  assert.equal(
    errorOf(`{${sig}, "instances": [{"ids": [1, 2], "weights": 1, "extra": 1}]}`),
    "Failed to process element: 0 key: extra of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: extra",
  );
  assert.equal(
    errorOf(`{${sig}, "inputs": [1, 2]}`),
    "inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map",
  );
  assert.equal(
    errorOf(`{${sig}, "inputs": {"ids": [[1, 2]]}}`),
    "Missing named input: weights in 'inputs' object.",
  );
});

test("other top-level keys are ignored", () => {
  const request = parse('{"instances": [1.0], "meta": {"anything": [1, 2]}}');
  assert.deepEqual(plain(request.inputs.x)?.shape, [1]);
});
