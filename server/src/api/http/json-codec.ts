import { invalidArgument, type TensorMap } from "@servable/protocol";
import type { ModelView } from "../inference/inference-lifecycle";
import { JsonParseError, parseJson, type JsonValue } from "../json/json-parser";
import type { InferenceMethod } from "../rest/urls";
import { decodeRest, encodeRest, type RestPlan } from "../rest/rest-codec";
import { decodeInfer, encodeInfer, type InferPlan } from "../v2/infer-codec";

/**
 * The JSON bodies of the HTTP inference routes, TF Serving's REST and KServe V2: parsed
 * once, by the one parser that reads JSON as TF Serving's rapidjson does (NaN, the first
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

/**
 * The plan of a request body for a version; without a version, only the body's own
 * errors (they come before the lookup's) and undefined.
 * @throws ServingError INVALID_ARGUMENT with TF Serving's texts
 */
export function decodeJsonBody(
  method: InferenceMethod,
  body: Uint8Array,
  model: ModelView | undefined,
): JsonPlan | undefined {
  const doc = parseBody(body);
  return method === "infer" ? decodeInfer(doc, model) : decodeRest(method, doc, model);
}

export function encodeJsonAnswer(
  plan: JsonPlan,
  outputs: TensorMap,
  context: AnswerContext,
): string {
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
