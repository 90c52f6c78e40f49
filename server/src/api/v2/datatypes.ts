import type { DataType } from "@servable/protocol";

/**
 * The Open Inference Protocol's (KServe V2) tensor datatypes and TensorFlow's DataTypes
 * they correspond to.
 */
const TO_TF: Record<string, DataType> = {
  BOOL: "DT_BOOL",
  UINT8: "DT_UINT8",
  UINT16: "DT_UINT16",
  UINT32: "DT_UINT32",
  UINT64: "DT_UINT64",
  INT8: "DT_INT8",
  INT16: "DT_INT16",
  INT32: "DT_INT32",
  INT64: "DT_INT64",
  FP16: "DT_HALF",
  FP32: "DT_FLOAT",
  FP64: "DT_DOUBLE",
  BYTES: "DT_STRING",
};

const FROM_TF = Object.fromEntries(Object.entries(TO_TF).map(([v2, tf]) => [tf, v2])) as Record<
  DataType,
  string
>;

export const v2ToDataType = (datatype: string): DataType | undefined => TO_TF[datatype];
export const dataTypeToV2 = (dtype: DataType): string => FROM_TF[dtype];
