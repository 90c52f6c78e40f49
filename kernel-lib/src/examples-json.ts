import { takesSerializedExamples } from "@servable/protocol";
import { stringifyForServer } from "./client/json-body";
import type { GetModelMetadataResponse } from "@servable/protocol";

/**
 * The JSON of tf.Examples for `:classify` and `:regress`. TF Serving reads a whole JSON
 * number as an int64 feature and a number with a decimal point as a float one; JavaScript
 * writes 6.0 as 6. So numbers are written as the signature wants them: floats for float
 * inputs, and for a signature that parses serialized tf.Examples itself (whose feature
 * types the metadata does not show) floats too. A bigint is always written as an integer.
 */
type SignatureDefs = GetModelMetadataResponse["metadata"]["signature_def"]["signature_def"];

export interface ExampleFormat {
  /** The feature a row of plain values fills (a signature with one input). */
  readonly rowFeature: string | undefined;
  /** Features whose numbers are floats: "all", or these names. */
  readonly floats: "all" | ReadonlySet<string>;
}

const FLOAT_TYPES = new Set(["DT_FLOAT", "DT_DOUBLE", "DT_HALF"]);

export function exampleFormat(
  defs: SignatureDefs,
  signature: string,
  feature: string | undefined,
): ExampleFormat {
  const inputs = defs[signature]?.inputs ?? {};
  if (takesSerializedExamples({ inputs })) {
    // The features are parsed inside the graph; a predict signature shows the model's input.
    const predict = defs.serving_default ?? Object.values(defs)[0];
    const plain = Object.entries(predict?.inputs ?? {}).filter(([, i]) => i.dtype !== "DT_STRING");
    return {
      rowFeature: feature ?? (plain.length === 1 ? plain[0]![0] : undefined),
      floats: "all",
    };
  }
  const keys = Object.keys(inputs);
  return {
    rowFeature: feature ?? (keys.length === 1 ? keys[0] : undefined),
    floats: new Set(keys.filter((k) => FLOAT_TYPES.has(inputs[k]!.dtype))),
  };
}

/** `{"signature_name": ..., "examples": [...]}` with each number written as its feature wants. */
export function examplesBody(
  examples: readonly Record<string, unknown>[],
  format: ExampleFormat,
  signature: string | undefined,
): string {
  const head = signature === undefined ? "" : `"signature_name": ${JSON.stringify(signature)}, `;
  const written = examples.map((example) => {
    const entries = Object.entries(example).map(([key, value]) => {
      const float = format.floats === "all" || format.floats.has(key);
      return `${JSON.stringify(key)}: ${valueJson(value, float)}`;
    });
    return `{${entries.join(", ")}}`;
  });
  return `{${head}"examples": [${written.join(", ")}]}`;
}

function valueJson(value: unknown, float: boolean): string {
  if (typeof value === "bigint") return value.toString();
  if (float && typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 1e21) {
    return value.toFixed(1);
  }
  if (Array.isArray(value)) return `[${value.map((v) => valueJson(v, float)).join(", ")}]`;
  return stringifyForServer(value);
}
