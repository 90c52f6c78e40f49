import type { SignatureDef, TensorMap } from "@servable/protocol";
import type { RequestLoggingConfig } from "../../config/model-server-config";

/**
 * What the inference lifecycle asks of request logging (request-logger.ts): whether to
 * log a request of a model, asked before it runs, and the answered request to write.
 */
export interface RequestLog {
  /** The model's logging config when this request is to be logged, else undefined. */
  sample(model: string): RequestLoggingConfig | undefined;
  /** Writes the record of an answered request, later; never throws. */
  write(config: RequestLoggingConfig, request: AnsweredRequest): void;
}

/** A request that was answered, with what a log record needs of it (tensors copied). */
export interface AnsweredRequest {
  readonly api: "predict" | "classify" | "regress";
  readonly model: string;
  readonly version: number;
  readonly signatureName: string;
  readonly inputs: TensorMap;
  readonly outputs: TensorMap;
  readonly outputKeys?: readonly string[];
  /** Classify and regress: the signature and the example count the request was read against. */
  readonly signature?: SignatureDef;
  readonly numExamples?: number;
  /** Classify and regress: whether `inputs` holds the serialized tf.Examples themselves. */
  readonly serializedExamples?: boolean;
  readonly classLabels?: readonly string[];
  readonly samplingRate: number;
  /** When the request was answered, in seconds since the epoch. */
  readonly timestampSecs: number;
}
