import type { Servable } from "../../core/servable";
import type { TensorMap } from "@servable/protocol";
import {
  classificationResults,
  exampleRequest,
  regressionResults,
  type ExampleMethod,
  type ExampleRequest,
} from "../example-inference";
import { formatFloat32 } from "../json/float-format";
import type { JsonValue } from "../json/json-parser";
import { PrettyWriter, quote } from "../json/pretty-writer";
import { parseExampleList } from "./examples";
import { requestObject } from "./predict-request";

/** The JSON of `:classify` and `:regress` (TF Serving's json_tensor.cc) around example-inference.ts. */
export function parseExampleRequest(
  doc: JsonValue,
  servable: Servable,
  method: ExampleMethod,
): ExampleRequest {
  const { body, signatureName } = requestObject(doc);
  return exampleRequest(parseExampleList(body), signatureName, servable, method);
}

/** `{"results": [[[label, score], ...], ...]}` as TF Serving writes it. */
export function writeClassifyResponse(
  outputs: TensorMap,
  request: ExampleRequest,
  classLabels: readonly string[] | undefined,
): string {
  const w = new PrettyWriter();
  w.startObject().key("results").startArray();
  for (const classes of classificationResults(outputs, request, classLabels)) {
    w.singleLineArrays = true;
    w.startArray();
    for (const { label, score } of classes) {
      w.startArray().raw(quote(label)).raw(formatFloat32(score)).endArray();
    }
    w.endArray();
    w.singleLineArrays = false;
  }
  return w.endArray().endObject().toString();
}

/** `{"results": [value, ...]}` as TF Serving writes it. */
export function writeRegressResponse(outputs: TensorMap, request: ExampleRequest): string {
  const values = regressionResults(outputs, request);
  const w = new PrettyWriter();
  w.startObject().key("results");
  w.singleLineArrays = true;
  w.startArray();
  for (let i = 0; i < request.numExamples; i++) w.raw(formatFloat32(values[i]!));
  return w.endArray().endObject().toString();
}
