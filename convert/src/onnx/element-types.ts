import { type DataType, ElementType } from "@servable/protocol";

/**
 * ONNX element types and the TensorFlow dtypes they travel as. Every ONNX tensor type
 * Servable's tensors can carry maps to exactly one DT_* name and back; the rest (bfloat16,
 * complex, float8, 4-bit types) cannot cross the API and make a model fail to load.
 */
const TO_DATA_TYPE: ReadonlyMap<number, DataType> = new Map([
  [ElementType.FLOAT, "DT_FLOAT"],
  [ElementType.DOUBLE, "DT_DOUBLE"],
  [ElementType.FLOAT16, "DT_HALF"],
  [ElementType.INT8, "DT_INT8"],
  [ElementType.INT16, "DT_INT16"],
  [ElementType.INT32, "DT_INT32"],
  [ElementType.INT64, "DT_INT64"],
  [ElementType.UINT8, "DT_UINT8"],
  [ElementType.UINT16, "DT_UINT16"],
  [ElementType.UINT32, "DT_UINT32"],
  [ElementType.UINT64, "DT_UINT64"],
  [ElementType.BOOL, "DT_BOOL"],
  [ElementType.STRING, "DT_STRING"],
]);

const FROM_DATA_TYPE: ReadonlyMap<DataType, number> = new Map(
  [...TO_DATA_TYPE].map(([element, dtype]) => [dtype, element]),
);

/** The DT_* name of an ONNX element type, or undefined when Servable cannot carry it. */
export function dataTypeOfElement(elemType: number): DataType | undefined {
  return TO_DATA_TYPE.get(elemType);
}

/** The ONNX element type of a DT_* name. */
export function elementOfDataType(dtype: DataType): number {
  return FROM_DATA_TYPE.get(dtype)!;
}
