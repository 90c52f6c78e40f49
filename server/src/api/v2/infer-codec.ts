import type { TensorMap } from "@servable/protocol";
import type { ModelView } from "../inference/inference-lifecycle";
import type { JsonValue } from "../json/json-parser";
import { inferBody, inferRequest, type InferRequest } from "./infer-request";
import { writeInferResponse } from "./infer-response";

/** The Open Inference Protocol's (KServe V2) codec: an infer body to a plan, outputs to JSON. */
export type InferPlan = { method: "infer" } & InferRequest;

/** Without a version (the lookup failed) only the body's form is checked. */
export function decodeInfer(doc: JsonValue, model: ModelView | undefined): InferPlan | undefined {
  const body = inferBody(doc);
  return model && { method: "infer", ...inferRequest(body, model.signatures) };
}

export function encodeInfer(
  plan: InferPlan,
  outputs: TensorMap,
  model: string,
  version: number,
): string {
  return writeInferResponse(model, version, plan, outputs);
}
