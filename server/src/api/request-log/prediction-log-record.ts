import {
  decodeMessage,
  EXAMPLES_INPUT,
  own,
  tensorToProto,
  type ExampleMessage,
  type FeatureMessage,
  type HostTensor,
  type ModelSpecProto,
  type PredictionLog,
  type TensorMap,
  type TensorProto,
} from "@servable/protocol";
import {
  classificationResults,
  regressionResults,
  type ExampleRequest,
} from "../inference/example-inference";
import type { AnsweredRequest } from "./request-log";

/**
 * The PredictionLog of an answered request, as TF Serving's request logger writes it:
 * the request and response messages its gRPC API would have carried, with LogMetadata
 * (the model, version and signature, the sampling config, the time). A REST request is
 * logged as the message it was converted to. Classify and regress requests carry their
 * tf.Examples as the model read them: context features are merged into each example, and
 * a model that takes features (not serialized examples) logs only the features it read.
 */
export function predictionLogRecord(request: AnsweredRequest): PredictionLog {
  const spec: ModelSpecProto = {
    name: request.model,
    version: { value: String(request.version) },
    signature_name: request.signatureName,
  };
  const requestSpec = { name: request.model, signature_name: request.signatureName };
  const log_metadata = {
    model_spec: spec,
    sampling_config: { sampling_rate: request.samplingRate },
    timestamp_secs: String(request.timestampSecs),
  };
  if (request.api === "predict") {
    return {
      log_metadata,
      predict_log: {
        request: {
          model_spec: requestSpec,
          inputs: protos(request.inputs),
          ...(request.outputKeys && { output_filter: [...request.outputKeys] }),
        },
        response: { model_spec: spec, outputs: protos(request.outputs) },
      },
    };
  }
  const examples: ExampleRequest = {
    signatureName: request.signatureName,
    signature: request.signature!,
    numExamples: request.numExamples!,
    inputs: request.inputs,
  };
  const input = { example_list: { examples: exampleMessages(request) } };
  // Classify and regress logs carry the same request; only the response's result differs.
  const exchange = <Result>(result: Result) => ({
    request: { model_spec: requestSpec, input },
    response: { model_spec: spec, result },
  });
  if (request.api === "regress") {
    const values = regressionResults(request.outputs, examples);
    return {
      log_metadata,
      regress_log: exchange({ regressions: Array.from(values, (value) => ({ value })) }),
    };
  }
  const classes = classificationResults(request.outputs, examples, request.classLabels);
  return {
    log_metadata,
    classify_log: exchange({ classifications: classes.map((c) => ({ classes: c })) }),
  };
}

function protos(tensors: TensorMap): Record<string, TensorProto> {
  const out = Object.create(null) as Record<string, TensorProto>;
  for (const [key, tensor] of Object.entries(tensors)) out[key] = tensorToProto(tensor);
  return out;
}

/** The request's tf.Examples, from the tensors the model was fed. */
function exampleMessages(request: AnsweredRequest): ExampleMessage[] {
  const n = request.numExamples ?? 0;
  if (request.serializedExamples) {
    const serialized = own(request.inputs, EXAMPLES_INPUT)!.data as Uint8Array[];
    return serialized.map((bytes) => decodeMessage("Example", bytes) as ExampleMessage);
  }
  const examples: ExampleMessage[] = Array.from({ length: n }, () => ({
    features: { feature: Object.create(null) as Record<string, FeatureMessage> },
  }));
  for (const [key, tensor] of Object.entries(request.inputs)) {
    const per = n > 0 ? tensor.data.length / n : 0;
    examples.forEach((example, i) => {
      example.features!.feature![key] = feature(tensor, i * per, (i + 1) * per);
    });
  }
  return examples;
}

function feature(tensor: HostTensor, start: number, end: number): FeatureMessage {
  const values = Array.from(tensor.data.slice(start, end) as ArrayLike<unknown>);
  switch (tensor.dtype) {
    case "DT_STRING":
      return { bytes_list: { value: values as Uint8Array[] } };
    case "DT_FLOAT":
    case "DT_DOUBLE":
    case "DT_HALF":
      return { float_list: { value: values as number[] } };
    default:
      return { int64_list: { value: values.map((v) => String(v)) } };
  }
}
