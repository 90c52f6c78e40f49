import { type DataType, ElementType } from "@servable/protocol";

/**
 * ONNX element types and the TensorFlow dtypes they travel as. Every ONNX tensor type
 * Servable's tensors can carry maps to exactly one DT_* name and back; the rest (bfloat16,
 * complex, float8, 4-bit types) cannot cross the API and make a model fail to load.
 */
const TO_DATA_TYPE: Record<number, DataType> = {
  [ElementType.FLOAT]: "DT_FLOAT",
  [ElementType.DOUBLE]: "DT_DOUBLE",
  [ElementType.FLOAT16]: "DT_HALF",
  [ElementType.INT8]: "DT_INT8",
  [ElementType.INT16]: "DT_INT16",
  [ElementType.INT32]: "DT_INT32",
  [ElementType.INT64]: "DT_INT64",
  [ElementType.UINT8]: "DT_UINT8",
  [ElementType.UINT16]: "DT_UINT16",
  [ElementType.UINT32]: "DT_UINT32",
  [ElementType.UINT64]: "DT_UINT64",
  [ElementType.BOOL]: "DT_BOOL",
  [ElementType.STRING]: "DT_STRING",
};

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

/** The DT_* name of an ONNX element type, or undefined when Servable cannot carry it. */
export function dataTypeOfElement(elemType: number): DataType | undefined {
  return TO_DATA_TYPE[elemType];
}

/** The ONNX element type of a DT_* name. */
export function elementOfDataType(dtype: DataType): number {
  const entry = Object.entries(TO_DATA_TYPE).find(([, d]) => d === dtype);
  return Number(entry![0]);
}

/** onnx.proto's lowercase name of an element type, for messages ("bfloat16"). */
export function elementTypeName(elemType: number): string {
  const entry = Object.entries(ElementType).find(([, v]) => v === elemType);
  return entry ? entry[0].toLowerCase() : `element type ${elemType}`;
}

/** The DT_* name of one of onnxruntime's tensor type names. */
export function dataTypeOfOrtType(type: string): DataType | undefined {
  const entry = Object.entries(ORT_TYPES).find(([, t]) => t === type);
  return entry?.[0] as DataType | undefined;
}
