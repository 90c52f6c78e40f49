import {
  DEFAULT_SIGNATURE,
  failedPrecondition,
  invalidArgument,
  own,
  shapeDims,
  tensorFromProto,
  tensorToTypedProto,
  type Example,
  type ExampleList,
  type ExampleMessage,
  type InputMessage,
  type Feature,
  type TensorMap,
  type TensorProto,
} from "@servable/protocol";
import type { ServableHandle } from "../../core/servable-handle";
import type { ModelSpec } from "../../core/server-core";
import {
  classificationResults,
  exampleRequest,
  regressionResults,
  type ExampleMethod,
  type ExampleRequest,
} from "../inference/example-inference";
import type { InferencePlan, ModelView } from "../inference/inference-lifecycle";
import {
  multiInferencePlan,
  taskOutputs,
  type MultiInferencePlan,
} from "../inference/multi-inference";
import { newTensorMap } from "../inference/tensor-map";

/**
 * TF Serving's gRPC codec (PredictionService Predict, Classify, Regress): request messages
 * (as @grpc/proto-loader decodes them) to plans, outputs to response messages, with TF
 * Serving's checks and texts (predict_util.cc, classifier.cc, regressor.cc).
 */

export interface ModelSpecMessage {
  name?: string;
  version?: { value?: string | number };
  version_label?: string;
  signature_name?: string;
}

export interface PredictRequestMessage {
  model_spec?: ModelSpecMessage;
  inputs?: Record<string, TensorProto>;
  output_filter?: string[];
}

export interface ExampleRequestMessage {
  model_spec?: ModelSpecMessage;
  input?: InputMessage;
}

export interface MultiInferenceRequestMessage {
  tasks?: { model_spec?: ModelSpecMessage; method_name?: string }[];
  input?: ExampleRequestMessage["input"];
}

/** The model, and version or label, a request's ModelSpec names. */
export function modelSpecOf(spec: ModelSpecMessage | undefined): ModelSpec {
  if (!spec?.name) throw invalidArgument("Missing ModelSpec");
  const version = spec.version?.value;
  if (version !== undefined) {
    const number = Number(version);
    if (!Number.isSafeInteger(number) || number < 0) {
      throw invalidArgument(`Failed to convert version: ${version} to numeric.`);
    }
    return { name: spec.name, version: number };
  }
  if (spec.version_label) return { name: spec.name, label: spec.version_label };
  return { name: spec.name };
}

/** The ModelSpec an answer carries: the version that ran. */
export function responseSpec(handle: ServableHandle, signatureName: string): ModelSpecMessage {
  return {
    name: handle.id.name,
    version: { value: String(handle.id.version) },
    signature_name: signatureName,
  };
}

/**
 * A PredictRequest against the version's signature, with TF Serving's checks in its order
 * and its texts (predict_util.cc RunPredict and PreProcessPrediction, and TensorFlow's
 * saved_model::GetInputValues, which it calls).
 */
export function decodePredict(request: PredictRequestMessage, model: ModelView): InferencePlan {
  const signatureName = request.model_spec?.signature_name || DEFAULT_SIGNATURE;
  const signature = own(model.signatures.signature_def, signatureName);
  if (!signature) throw failedPrecondition(`Serving signature key "${signatureName}" not found.`);
  const sent = request.inputs ?? {};
  const defaults = (signature.defaults ?? {}) as Record<string, TensorProto>;
  const sentKeys = Object.keys(sent).sort();
  const expected = Object.keys(signature.inputs).sort();
  if (
    sentKeys.length > expected.length ||
    (sentKeys.length < expected.length && Object.keys(defaults).length === 0)
  ) {
    const extra = sentKeys.filter((k) => !own(signature.inputs, k));
    const missing = expected.filter((k) => !own(sent, k));
    throw invalidArgument(
      `input size does not match signature: ${sentKeys.length}!=${expected.length} ` +
        `len({${sentKeys.join(",")}}) != len({${expected.join(",")}}). ` +
        `Sent extra: {${extra.join(",")}}. Missing but required: {${missing.join(",")}}.`,
    );
  }
  const inputs = newTensorMap();
  for (const key of expected) {
    const info = signature.inputs[key]!;
    const proto = own(sent, key) ?? own(defaults, key);
    if (!proto) {
      throw invalidArgument(
        `Signature input alias: ${key}(feed name: ${info.name}) not found in request and no ` +
          `default value provided. Inputs expected to be in the request {${sentKeys.join(",")}}, ` +
          `or default input alias set: ${Object.keys(defaults).sort().join(",")}`,
      );
    }
    const tensor = requestTensor(proto, key);
    if (tensor.dtype !== info.dtype) {
      throw invalidArgument(
        `Expects arg[${key}] to be ${info.dtype.slice(3).toLowerCase()} but ${tensor.dtype.slice(3).toLowerCase()} is provided`,
      );
    }
    inputs[key] = tensor;
  }
  const filter = request.output_filter?.length ? request.output_filter : undefined;
  const seen = new Set<string>();
  for (const key of filter ?? []) {
    if (!own(signature.outputs, key)) {
      throw invalidArgument(
        `output tensor alias not found in signature: ${key} Outputs expected to be in the set {${Object.keys(signature.outputs).sort().join(",")}}.`,
      );
    }
    if (seen.has(key)) throw invalidArgument(`duplicate output tensor alias: ${key}`);
    seen.add(key);
  }
  return { signatureName, inputs, outputKeys: filter };
}

export function encodePredict(
  outputs: TensorMap,
  plan: InferencePlan,
  handle: ServableHandle,
): unknown {
  return {
    model_spec: responseSpec(handle, plan.signatureName),
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([key, tensor]) => [key, tensorToTypedProto(tensor)]),
    ),
  };
}

export function decodeExamples(
  request: ExampleRequestMessage,
  method: ExampleMethod,
  model: ModelView,
): ExampleRequest {
  const signatureName = request.model_spec?.signature_name || DEFAULT_SIGNATURE;
  return exampleRequest(exampleList(request.input), signatureName, model, method);
}

export function encodeExamples(
  outputs: TensorMap,
  plan: ExampleRequest,
  method: ExampleMethod,
  handle: ServableHandle,
): unknown {
  const model_spec = responseSpec(handle, plan.signatureName);
  if (method === "regress") {
    return {
      model_spec,
      result: {
        regressions: Array.from(regressionResults(outputs, plan), (value) => ({ value })),
      },
    };
  }
  const labels = own(handle.servable.classLabels, plan.signatureName);
  const classifications = classificationResults(outputs, plan, labels);
  return {
    model_spec,
    result: { classifications: classifications.map((classes) => ({ classes })) },
  };
}

/** The version a MultiInferenceRequest runs on: its first task's (TF Serving's). */
export function multiInferenceSpec(request: MultiInferenceRequestMessage): ModelSpec {
  const first = request.tasks?.[0]?.model_spec;
  if (!first?.name) throw invalidArgument("ModelSpec has no name specified.");
  return modelSpecOf(first);
}

export function decodeMultiInference(
  request: MultiInferenceRequestMessage,
  model: ModelView,
): MultiInferencePlan {
  const tasks = (request.tasks ?? []).map((task) => ({
    modelName: task.model_spec?.name ?? "",
    signatureName: task.model_spec?.signature_name ?? "",
    methodName: task.method_name ?? "",
  }));
  return multiInferencePlan(() => exampleList(request.input), tasks, model);
}

export function encodeMultiInference(
  outputs: TensorMap,
  plan: MultiInferencePlan,
  handle: ServableHandle,
): unknown {
  return {
    results: plan.tasks.map((task, index) => {
      const model_spec = responseSpec(handle, task.request.signatureName);
      const mine = taskOutputs(outputs, index);
      if (task.method === "regress") {
        const values = regressionResults(mine, task.request);
        return {
          model_spec,
          regression_result: { regressions: Array.from(values, (value) => ({ value })) },
        };
      }
      const labels = own(handle.servable.classLabels, task.request.signatureName);
      const classifications = classificationResults(mine, task.request, labels);
      return {
        model_spec,
        classification_result: { classifications: classifications.map((classes) => ({ classes })) },
      };
    }),
  };
}

/**
 * Elements one request tensor may have. A TensorProto may name a shape far bigger than the
 * values it carries (the last value fills the rest): a few bytes must not make the server
 * allocate and fill gigabytes on the thread that answers every request.
 */
const MAX_TENSOR_ELEMENTS = 64 * 1024 * 1024;

/** A request's TensorProto as a host tensor; one that cannot be read is the client's error. */
function requestTensor(proto: TensorProto, key: string): TensorMap[string] {
  const elements = (shapeDims(proto.tensor_shape) ?? []).reduce((a, b) => a * Math.max(b, 0), 1);
  if (elements > MAX_TENSOR_ELEMENTS) {
    throw invalidArgument(
      `Input ${key} has ${elements} elements; a request tensor may have at most ${MAX_TENSOR_ELEMENTS}`,
    );
  }
  try {
    return tensorFromProto(proto, `Input ${key}`);
  } catch {
    // TensorFlow's Tensor::FromProto says no more than that it failed.
    throw invalidArgument(`tensor parsing error: ${key}`);
  }
}

function exampleList(input: ExampleRequestMessage["input"]): ExampleList {
  const withContext = input?.example_list_with_context;
  const examples = withContext?.examples ?? input?.example_list?.examples;
  if (!examples || examples.length === 0) throw invalidArgument("Input is empty.");
  return {
    examples: examples.map(toExample),
    context: withContext?.context ? toExample(withContext.context) : undefined,
  };
}

function toExample(example: ExampleMessage): Example {
  const features: Example = new Map();
  for (const [name, f] of Object.entries(example.features?.feature ?? {})) {
    let feature: Feature;
    if (f.bytes_list)
      feature = { kind: "bytes", values: (f.bytes_list.value ?? []).map((b) => new Uint8Array(b)) };
    else if (f.int64_list)
      feature = { kind: "int64", values: (f.int64_list.value ?? []).map((v) => BigInt(v)) };
    else feature = { kind: "float", values: f.float_list?.value ?? [] };
    features.set(name, feature);
  }
  return features;
}
