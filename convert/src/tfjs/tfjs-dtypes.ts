import type { DataType } from "@servable/protocol";

/**
 * A TF.js dtype as TensorFlow's DataType: what a TF.js model's tensors are called in
 * signatures and in converted graphs. TF.js computes in float32 what it does not type
 * otherwise (complex64 is not served).
 */
export function tfjsToDataType(dtype: string): DataType {
  switch (dtype) {
    case "int32":
      return "DT_INT32";
    case "bool":
      return "DT_BOOL";
    case "string":
      return "DT_STRING";
    default:
      return "DT_FLOAT";
  }
}
