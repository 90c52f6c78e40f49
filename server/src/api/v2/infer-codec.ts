import {
  invalidArgument,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type TensorMap,
} from "@servable/protocol";
import type { ModelView } from "../inference/inference-lifecycle";
import type { JsonValue } from "../json/json-parser";
import { inferBody, inferRequest, type InferRequest } from "./infer-request";
import { writeInferResponse, type BinaryInferAnswer } from "./infer-response";

/** The Open Inference Protocol's (KServe V2) codec: an infer body to a plan, outputs to JSON. */
export type InferPlan = { method: "infer" } & InferRequest;

export type { BinaryInferAnswer };

/**
 * A body's JSON and the binary data after it: with the binary tensor data extension the
 * Inference-Header-Content-Length header (as the client sent it) says where the JSON ends.
 * @throws ServingError INVALID_ARGUMENT for a header that is not a length within the body
 */
export function splitInferBody(
  body: Uint8Array,
  headerLength: string | undefined,
): { json: Uint8Array; binary: Uint8Array } {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.length) };
  const length = /^\s*\d{1,15}\s*$/.test(headerLength) ? Number(headerLength) : NaN;
  if (!(length <= body.length)) {
    throw invalidArgument(
      `${INFERENCE_HEADER_CONTENT_LENGTH} ${JSON.stringify(headerLength)} must be a length within the body's ${body.length} bytes`,
    );
  }
  return { json: body.subarray(0, length), binary: body.subarray(length) };
}

/** Without a version (the lookup failed) only the body's form is checked. */
export function decodeInfer(
  doc: JsonValue,
  binary: Uint8Array,
  model: ModelView | undefined,
): InferPlan | undefined {
  const body = inferBody(doc);
  return model && { method: "infer", ...inferRequest(body, binary, model.signatures) };
}

export function encodeInfer(
  plan: InferPlan,
  outputs: TensorMap,
  model: string,
  version: number,
): string | BinaryInferAnswer {
  return writeInferResponse(model, version, plan, outputs);
}

/** Binary outputs are only copied out, never formatted: no need to move them off the thread. */
export const answersInBinary = (plan: InferPlan): boolean => plan.binaryOutputs.some(Boolean);
