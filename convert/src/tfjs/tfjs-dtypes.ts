import type { DataType } from "@servable/protocol";

const DATA_TYPES: ReadonlyMap<string, DataType> = new Map([
  ["int32", "DT_INT32"],
  ["bool", "DT_BOOL"],
  ["string", "DT_STRING"],
]);

/**
 * A TF.js dtype as TensorFlow's DataType: what a TF.js model's tensors are called in
 * signatures and in converted graphs. TF.js computes in float32 what it does not type
 * otherwise (complex64 is not served).
 */
export function tfjsToDataType(dtype: string): DataType {
  return DATA_TYPES.get(dtype) ?? "DT_FLOAT";
}
