import { invalidArgument, type TensorMap } from "@servable/protocol";
import type { ModelView } from "../inference/inference-lifecycle";
import { JsonParseError, parseJson, type JsonValue } from "../json/json-parser";
import type { InferenceMethod } from "../rest/urls";
import { decodeRest, encodeRest, type RestPlan } from "../rest/rest-codec";
import {
  decodeInfer,
  encodeInfer,
  splitInferBody,
  type BinaryInferAnswer,
  type InferPlan,
} from "../v2/infer-codec";

/**
 * The JSON bodies of the HTTP inference routes, TF Serving's REST and KServe V2 (whose
 * binary tensor data, after the JSON, is read here too): parsed once, by the one parser that reads JSON as TF Serving's rapidjson does (NaN, the first
 * of duplicate keys, `1` apart from `1.0`, trailing bytes ignored), whatever the model.
 * Pure functions of their arguments, so that a worker thread can run them on big bodies.
 */
export type JsonPlan = RestPlan | InferPlan;

/** What an answer names besides the outputs. */
export interface AnswerContext {
  readonly model: string;
  readonly version: number;
  /** The class labels of a classify signature that has its own. */
  readonly classLabels?: readonly string[];
}

/** What the request's headers say about its body. */
export interface BodyHeaders {
  /** V2's Inference-Header-Content-Length, as sent: the JSON's length when binary data follows. */
  readonly inferenceHeaderLength?: string;
}

/**
 * The plan of a request body for a version; without a version, only the body's own
 * errors (they come before the lookup's) and undefined.
 * @throws ServingError INVALID_ARGUMENT with TF Serving's texts
 */
export function decodeJsonBody(
  method: InferenceMethod,
  body: Uint8Array,
  model: ModelView | undefined,
  headers: BodyHeaders = {},
): JsonPlan | undefined {
  if (method !== "infer") return decodeRest(method, parseBody(body), model);
  const { json, binary } = splitInferBody(body, headers.inferenceHeaderLength);
  return decodeInfer(parseBody(json), binary, model);
}

export function encodeJsonAnswer(
  plan: JsonPlan,
  outputs: TensorMap,
  context: AnswerContext,
): string | BinaryInferAnswer {
  return plan.method === "infer"
    ? encodeInfer(plan, outputs, context.model, context.version)
    : encodeRest(plan, outputs, context.classLabels);
}

function parseBody(body: Uint8Array): JsonValue {
  if (body.length === 0) throw invalidArgument("JSON Parse error: The document is empty");
  try {
    return parseJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (error) {
    if (error instanceof JsonParseError)
      throw invalidArgument(`JSON Parse error: ${error.message}`);
    throw error;
  }
}
