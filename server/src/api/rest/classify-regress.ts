import type { ExampleList, TensorMap } from "@servable/protocol";
import {
  classificationResults,
  exampleRequest,
  regressionResults,
  type ExampleMethod,
  type ExampleRequest,
} from "../inference/example-inference";
import type { ModelView } from "../inference/inference-lifecycle";
import { formatFloat32 } from "../json/float-format";
import type { JsonValue } from "../json/json-parser";
import { PrettyWriter, quote } from "../json/pretty-writer";
import { parseExampleList } from "./examples";
import { requestObject } from "./predict-request";

/** The JSON of `:classify` and `:regress` (TF Serving's json_tensor.cc) around example-inference.ts. */

/** The examples a body holds and the signature it names: what TF Serving reads first. */
export interface ExampleBody {
  signatureName: string;
  list: ExampleList;
}

export function exampleBody(doc: JsonValue): ExampleBody {
  const { body, signatureName } = requestObject(doc);
  return { signatureName, list: parseExampleList(body) };
}

/** A whole classify or regress body against a version. */
export function parseExampleRequest(
  doc: JsonValue,
  servable: ModelView,
  method: ExampleMethod,
): ExampleRequest {
  const { list, signatureName } = exampleBody(doc);
  return exampleRequest(list, signatureName, servable, method);
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
