import { joinUrl } from "./request";
import {
  versionPath,
  type InferenceMethod,
  type SignatureSpec,
  type TensorSpec,
} from "./server-api";

/**
 * The Test form's pre-filled request: built from a signature's inputs (TF Serving's
 * metadata), in the request format its method takes, and the curl line that sends it.
 */

const METHODS: Record<string, InferenceMethod> = {
  "tensorflow/serving/predict": "predict",
  "tensorflow/serving/classify": "classify",
  "tensorflow/serving/regress": "regress",
};

export function methodOf(signature: SignatureSpec): InferenceMethod {
  return METHODS[signature.methodName] ?? "predict";
}

/**
 * A request body for one example: predict takes the row format (`instances`), classify
 * and regress take `examples` (tf.Example features as JSON).
 */
export function exampleRequest(signatureName: string, signature: SignatureSpec): string {
  const inputs = Object.entries(signature.inputs);
  const method = methodOf(signature);
  const body: Record<string, unknown> = { signature_name: signatureName };
  if (method === "predict") {
    const row = (spec: TensorSpec) => exampleTensor(spec.dtype, (spec.shape ?? [-1]).slice(1));
    body.instances =
      inputs.length === 1
        ? [row(inputs[0][1])]
        : [Object.fromEntries(inputs.map(([k, s]) => [k, row(s)]))];
  } else {
    // Servable's classify/regress signatures name tf.Example features as their inputs.
    const features = Object.fromEntries(inputs.map(([k, s]) => [k, exampleValue(s.dtype)]));
    body.examples = [features];
  }
  return JSON.stringify(body, null, 2);
}

/** A value of the given dtype and (per-example) shape; unknown sizes become 1. */
export function exampleTensor(dtype: string, shape: readonly number[]): unknown {
  if (shape.length === 0) return exampleValue(dtype);
  const size = shape[0] > 0 ? Math.min(shape[0], 16) : 1;
  return Array.from({ length: size }, () => exampleTensor(dtype, shape.slice(1)));
}

function exampleValue(dtype: string): unknown {
  if (dtype === "DT_STRING") return "text";
  if (dtype === "DT_BOOL") return true;
  if (/^DT_(U?INT|QU?INT)/.test(dtype)) return 1;
  return 1.0;
}

/** The curl line that sends `body` to the version, as a person types it in a terminal. */
export function curlLine(
  serverUrl: string,
  name: string,
  version: string,
  method: InferenceMethod,
  body: string,
): string {
  const url = joinUrl(serverUrl, `${versionPath(name, version)}:${method}`);
  return `curl -d ${shellQuote(compactJson(body))} -X POST ${url}`;
}

function compactJson(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body));
  } catch {
    return body;
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
