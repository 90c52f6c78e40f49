import { servingType } from "./serving-protos";
import type { ExampleProto, FeatureProto, Int64, TensorProto } from "./tensorflow-protos";

/**
 * TF Serving's PredictionLog (apis/prediction_log.proto): one request with its answer, as
 * a warmup file and a request log hold them. Objects use the proto field names; int64s
 * read as decimal strings; map keys are names a file chose, so read them with `own()`.
 */

export interface ModelSpecProto {
  name?: string;
  version?: { value?: Int64 };
  version_label?: string;
  signature_name?: string;
}

/** The tf.Example messages an Input carries: the ones tensorflow-protos reads and writes. */
export type FeatureMessage = FeatureProto;
export type ExampleMessage = ExampleProto;

/** TF Serving's Input: the tf.Examples of a classify, regress or multi-inference request. */
export interface InputMessage {
  example_list?: { examples?: ExampleMessage[] };
  example_list_with_context?: { examples?: ExampleMessage[]; context?: ExampleMessage };
}

export interface PredictRequestProto {
  model_spec?: ModelSpecProto;
  inputs?: Record<string, TensorProto>;
  output_filter?: string[];
}

export interface PredictResponseProto {
  model_spec?: ModelSpecProto;
  outputs?: Record<string, TensorProto>;
}

export interface ExampleRequestProto {
  model_spec?: ModelSpecProto;
  input?: InputMessage;
}

export interface ClassificationResultProto {
  classifications?: { classes?: { label?: string; score?: number }[] }[];
}

export interface RegressionResultProto {
  regressions?: { value?: number }[];
}

export interface ClassificationResponseProto {
  model_spec?: ModelSpecProto;
  result?: ClassificationResultProto;
}

export interface RegressionResponseProto {
  model_spec?: ModelSpecProto;
  result?: RegressionResultProto;
}

export interface MultiInferenceRequestProto {
  tasks?: { model_spec?: ModelSpecProto; method_name?: string }[];
  input?: InputMessage;
}

export interface MultiInferenceResponseProto {
  results?: {
    model_spec?: ModelSpecProto;
    classification_result?: ClassificationResultProto;
    regression_result?: RegressionResultProto;
  }[];
}

export interface SamplingConfigProto {
  sampling_rate?: number;
}

export interface LogMetadataProto {
  model_spec?: ModelSpecProto;
  sampling_config?: SamplingConfigProto;
  saved_model_tags?: string[];
  timestamp_secs?: Int64;
}

export interface PredictionLog {
  log_metadata?: LogMetadataProto;
  predict_log?: { request?: PredictRequestProto; response?: PredictResponseProto };
  classify_log?: { request?: ExampleRequestProto; response?: ClassificationResponseProto };
  regress_log?: { request?: ExampleRequestProto; response?: RegressionResponseProto };
  multi_inference_log?: {
    request?: MultiInferenceRequestProto;
    response?: MultiInferenceResponseProto;
  };
  /** Kept as read: Servable replays and writes neither. */
  predict_streamed_log?: Record<string, unknown>;
  session_run_log?: Record<string, unknown>;
}

/** Which request a log holds: PredictionLog's `log_type` oneof, by its field name. */
export type PredictionLogType =
  | "predict_log"
  | "classify_log"
  | "regress_log"
  | "multi_inference_log"
  | "predict_streamed_log"
  | "session_run_log";

/** TF Serving's log_type case numbers (the field numbers), as its warmup errors print them. */
export const LOG_TYPE_CASE: Readonly<Record<PredictionLogType, number>> = {
  classify_log: 2,
  regress_log: 3,
  multi_inference_log: 4,
  session_run_log: 5,
  predict_log: 6,
  predict_streamed_log: 7,
};

const PREDICTION_LOG = servingType("PredictionLog");
const TO_OBJECT = { enums: String, longs: String, defaults: false, oneofs: false } as const;

export function encodePredictionLog(log: PredictionLog): Uint8Array {
  return PREDICTION_LOG.encode(PREDICTION_LOG.fromObject(log as Record<string, unknown>)).finish();
}

/** @throws Error when the bytes are not a PredictionLog. */
export function decodePredictionLog(bytes: Uint8Array): PredictionLog {
  return PREDICTION_LOG.toObject(PREDICTION_LOG.decode(bytes), TO_OBJECT) as PredictionLog;
}

/** The log's request type, or undefined when it holds none (TF Serving skips those). */
export function predictionLogType(log: PredictionLog): PredictionLogType | undefined {
  for (const type of Object.keys(LOG_TYPE_CASE) as PredictionLogType[]) {
    if (log[type] !== undefined) return type;
  }
  return undefined;
}
