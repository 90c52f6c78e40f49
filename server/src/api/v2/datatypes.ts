import type { DataType } from "@servable/protocol";

/**
 * The Open Inference Protocol's (KServe V2) tensor datatypes and TensorFlow's DataTypes
 * they correspond to.
 */
const TO_TF = new Map<string, DataType>(
  Object.entries({
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
  } satisfies Record<string, DataType>),
);

const FROM_TF = new Map<DataType, string>([...TO_TF].map(([v2, tf]) => [tf, v2]));

/** The DataType of a V2 datatype a client wrote (any text), or undefined. */
export const v2ToDataType = (datatype: string): DataType | undefined => TO_TF.get(datatype);
/** A DataType's V2 name; the types V2 lacks keep TensorFlow's name. */
export const dataTypeToV2 = (dtype: DataType): string => FROM_TF.get(dtype) ?? dtype;
