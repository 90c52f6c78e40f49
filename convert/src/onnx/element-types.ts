import { DATA_TYPES, type DataType, ElementType } from "@servable/protocol";

/**
 * ONNX element types and the TensorFlow dtypes they travel as. Every ONNX tensor type
 * Servable's tensors can carry maps to exactly one DT_* name and back, by name (ONNX says
 * FLOAT16 for DT_HALF); the rest (bfloat16, complex, float8, 4-bit types) cannot cross the
 * API and make a model fail to load.
 */
const onnxName = (dtype: DataType) =>
  (dtype === "DT_HALF" ? "FLOAT16" : dtype.slice("DT_".length)) as keyof typeof ElementType;

const FROM_DATA_TYPE: ReadonlyMap<DataType, number> = new Map(
  DATA_TYPES.map((dtype) => [dtype, ElementType[onnxName(dtype)]]),
);

const TO_DATA_TYPE: ReadonlyMap<number, DataType> = new Map(
  [...FROM_DATA_TYPE].map(([dtype, element]) => [element, dtype]),
);

/** The DT_* name of an ONNX element type, or undefined when Servable cannot carry it. */
export function dataTypeOfElement(elemType: number): DataType | undefined {
  return TO_DATA_TYPE.get(elemType);
}

/** The ONNX element type of a DT_* name. */
export function elementOfDataType(dtype: DataType): number {
  return FROM_DATA_TYPE.get(dtype)!;
}
