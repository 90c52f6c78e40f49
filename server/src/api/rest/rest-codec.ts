import type { TensorMap } from "@servable/protocol";
import {
  exampleRequest,
  type ExampleMethod,
  type ExampleRequest,
} from "../inference/example-inference";
import type { ModelView } from "../inference/inference-lifecycle";
import type { JsonValue } from "../json/json-parser";
import { exampleBody, writeClassifyResponse, writeRegressResponse } from "./classify-regress";
import { predictRequest, requestObject, type PredictRequest } from "./predict-request";
import { writePredictResponse } from "./predict-response";

/**
 * TF Serving's REST codec (`:predict`, `:classify`, `:regress`): a parsed body to the
 * signature, inputs and answer layout to run, and the outputs to TF Serving's JSON.
 */
export type RestMethod = "predict" | ExampleMethod;

export type RestPlan =
  ({ method: "predict" } & PredictRequest) | ({ method: ExampleMethod } & ExampleRequest);

/**
 * The request a body makes of a version. Without a version (the lookup failed) it checks
 * only what TF Serving reads before its lookup, and returns undefined.
 * @throws ServingError INVALID_ARGUMENT with TF Serving's texts
 */
export function decodeRest(
  method: RestMethod,
  doc: JsonValue,
  model: ModelView | undefined,
): RestPlan | undefined {
  if (method === "predict") {
    const request = requestObject(doc);
    return model && { method, ...predictRequest(request, model.signatures) };
  }
  const { list, signatureName } = exampleBody(doc);
  return model && { method, ...exampleRequest(list, signatureName, model, method) };
}

/** TF Serving's response body; `classLabels` are the classify signature's own labels, if any. */
export function encodeRest(
  plan: RestPlan,
  outputs: TensorMap,
  classLabels: readonly string[] | undefined,
): string {
  switch (plan.method) {
    case "predict":
      return writePredictResponse(outputs, plan.format);
    case "classify":
      return writeClassifyResponse(outputs, plan, classLabels);
    case "regress":
      return writeRegressResponse(outputs, plan);
  }
}
