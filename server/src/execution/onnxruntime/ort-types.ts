import type { DataType } from "@servable/protocol";

/** onnxruntime's tensor type names, by TensorFlow dtype. */
export const ORT_TYPES = {
  DT_FLOAT: "float32",
  DT_DOUBLE: "float64",
  DT_HALF: "float16",
  DT_INT8: "int8",
  DT_INT16: "int16",
  DT_INT32: "int32",
  DT_INT64: "int64",
  DT_UINT8: "uint8",
  DT_UINT16: "uint16",
  DT_UINT32: "uint32",
  DT_UINT64: "uint64",
  DT_BOOL: "bool",
  DT_STRING: "string",
} as const satisfies Record<DataType, string>;

export type OrtTypeName = (typeof ORT_TYPES)[DataType];

/** The DT_* name of one of onnxruntime's tensor type names. */
export function dataTypeOfOrtType(type: string): DataType | undefined {
  const entry = Object.entries(ORT_TYPES).find(([, t]) => t === type);
  return entry?.[0] as DataType | undefined;
}
