import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { example, floats, rejectsWith, unary, demoOverGrpc } from "../support";

/**
 * The gRPC API's errors, code and text, as TF Serving's gRPC path writes them
 * (predict_util.cc, TensorFlow's saved_model/util.cc, get_model_metadata_impl.cc,
 * classifier.cc, regressor.cc). The REST API keeps its own texts where TF Serving's differ.
 */
const served = demoOverGrpc();

const predict = (spec: Record<string, unknown>, request: Record<string, unknown>) =>
  unary(served.clients.prediction, "Predict", {
    model_spec: { name: "half_plus_two", ...spec },
    ...request,
  });
const { INVALID_ARGUMENT, FAILED_PRECONDITION } = grpc.status;

test("Predict: an unknown signature is FAILED_PRECONDITION on gRPC, INVALID_ARGUMENT with REST's text on REST", async () => {
  await rejectsWith(
    predict({ signature_name: "nope_sig" }, { inputs: { x: floats([1], [1, 1]) } }),
    FAILED_PRECONDITION,
    'Serving signature key "nope_sig" not found.',
  );
  const rest = await fetch(`${served.server.url}/v1/models/half_plus_two:predict`, {
    method: "POST",
    body: JSON.stringify({ signature_name: "nope_sig", instances: [[1]] }),
  });
  assert.equal(rest.status, 400);
  assert.deepEqual(await rest.json(), {
    error: 'Serving signature name: "nope_sig" not found in signature def',
  });
});

test("Predict: inputs that do not match the signature", async () => {
  await rejectsWith(
    predict({}, {}),
    INVALID_ARGUMENT,
    "input size does not match signature: 0!=1 len({}) != len({x}). Sent extra: {}. Missing but required: {x}.",
  );
  await rejectsWith(
    predict({}, { inputs: { x: floats([1], [1, 1]), z: floats([1], [1, 1]) } }),
    INVALID_ARGUMENT,
    "input size does not match signature: 2!=1 len({x,z}) != len({x}). Sent extra: {z}. Missing but required: {}.",
  );
  await rejectsWith(
    predict({}, { inputs: { z: floats([1], [1, 1]) } }),
    INVALID_ARGUMENT,
    "Signature input alias: x(feed name: x:0) not found in request and no default value provided. Inputs expected to be in the request {z}, or default input alias set: ",
  );
});

test("Predict: an output_filter naming no output, or one twice", async () => {
  await rejectsWith(
    predict({}, { inputs: { x: floats([1], [1, 1]) }, output_filter: ["nope"] }),
    INVALID_ARGUMENT,
    "output tensor alias not found in signature: nope Outputs expected to be in the set {y}.",
  );
  await rejectsWith(
    predict({}, { inputs: { x: floats([1], [1, 1]) }, output_filter: ["y", "y"] }),
    INVALID_ARGUMENT,
    "duplicate output tensor alias: y",
  );
});

test("Predict: tensor_content whose size is not the shape's is a tensor parsing error", async () => {
  for (const values of [[1, 2, 3], [1]]) {
    await rejectsWith(
      predict(
        {},
        {
          inputs: {
            x: {
              dtype: "DT_FLOAT",
              tensor_shape: { dim: [{ size: 2 }, { size: 1 }] },
              tensor_content: Buffer.from(new Float32Array(values).buffer),
            },
          },
        },
      ),
      INVALID_ARGUMENT,
      "tensor parsing error: x",
    );
  }
});

test("GetModelMetadata: a missing ModelSpec, no metadata_field, an unknown one", async () => {
  const metadata = (request: unknown) =>
    unary(served.clients.prediction, "GetModelMetadata", request);
  await rejectsWith(
    metadata({ metadata_field: ["signature_def"] }),
    INVALID_ARGUMENT,
    "Missing ModelSpec",
  );
  await rejectsWith(
    metadata({ model_spec: { name: "half_plus_two" } }),
    INVALID_ARGUMENT,
    "GetModelMetadataRequest must specify at least one metadata_field",
  );
  await rejectsWith(
    metadata({ model_spec: { name: "half_plus_two" }, metadata_field: ["signature_def", "nope"] }),
    INVALID_ARGUMENT,
    "Metadata field nope is not supported",
  );
});

/** serving_default of half_plus_two, as protobuf's DebugString prints a SignatureDef. */
const SERVING_DEFAULT = `inputs {
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
  key: "y"
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
method_name: "tensorflow/serving/predict"
`;

test("Regress and Classify on a predict signature name its missing input first", async () => {
  const input = { example_list: { examples: [example({ x: 1 })] } };
  await rejectsWith(
    unary(served.clients.prediction, "Regress", { model_spec: { name: "half_plus_two" }, input }),
    INVALID_ARGUMENT,
    `No regression inputs found in SignatureDef: ${SERVING_DEFAULT}`,
  );
  await rejectsWith(
    unary(served.clients.prediction, "Classify", { model_spec: { name: "half_plus_two" }, input }),
    INVALID_ARGUMENT,
    `No classification inputs found in SignatureDef: ${SERVING_DEFAULT}`,
  );
  await rejectsWith(
    unary(served.clients.prediction, "Regress", {
      model_spec: { name: "half_plus_two", signature_name: "nope_sig" },
      input,
    }),
    INVALID_ARGUMENT,
    "No signature was found with the name: nope_sig",
  );
});

test("after every refused request the model still answers", async () => {
  const answer = await unary<{ outputs: { y: { float_val: number[] } } }>(
    served.clients.prediction,
    "Predict",
    { model_spec: { name: "half_plus_two" }, inputs: { x: floats([1, 2], [2, 1]) } },
  );
  assert.deepEqual(answer.outputs.y.float_val, [2.5, 3]);
});
