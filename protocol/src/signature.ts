import type { DataType } from "./data-type";

/**
 * Signatures in the JSON shape TF Serving's metadata endpoint prints (SignatureDef,
 * TensorInfo and TensorShapeProto in protobuf's JSON mapping, proto field names kept).
 * Servable's signature file beside a TF.js or ONNX model holds a `SignatureDefMap`.
 */
export interface TensorShape {
  dim: { size: string; name: string }[];
  unknown_rank: boolean;
}

export interface TensorInfo {
  dtype: DataType;
  tensor_shape: TensorShape;
  /** The tensor's name in the model graph ("x:0"). */
  name: string;
}

export const PREDICT_METHOD = "tensorflow/serving/predict";
export const CLASSIFY_METHOD = "tensorflow/serving/classify";
export const REGRESS_METHOD = "tensorflow/serving/regress";

export type MethodName = typeof PREDICT_METHOD | typeof CLASSIFY_METHOD | typeof REGRESS_METHOD;

export interface SignatureDef {
  inputs: Record<string, TensorInfo>;
  outputs: Record<string, TensorInfo>;
  method_name: MethodName | string;
  defaults?: Record<string, unknown>;
}

export interface SignatureDefMap {
  signature_def: Record<string, SignatureDef>;
}

export const DEFAULT_SIGNATURE = "serving_default";

/** Dimensions of a TensorInfo as numbers (-1 for unknown); undefined for unknown rank. */
export function dims(info: TensorInfo): number[] | undefined {
  if (info.tensor_shape.unknown_rank) return undefined;
  return info.tensor_shape.dim.map((d) => Number(d.size));
}

export function tensorShape(dimensions: readonly number[] | undefined): TensorShape {
  if (dimensions === undefined) return { dim: [], unknown_rank: true };
  return { dim: dimensions.map((d) => ({ size: String(d), name: "" })), unknown_rank: false };
}

export function tensorInfo(
  name: string,
  dtype: DataType,
  dimensions: readonly number[] | undefined,
): TensorInfo {
  return { dtype, tensor_shape: tensorShape(dimensions), name };
}

/** The one input of TF Serving's classify and regress signatures: serialized tf.Examples. */
export const EXAMPLES_INPUT = "inputs";

/**
 * True when a signature takes TF Serving's classify/regress form: one DT_STRING input keyed
 * "inputs" that receives the serialized tf.Examples (the graph parses them itself).
 */
export function takesSerializedExamples(def: Pick<SignatureDef, "inputs">): boolean {
  const keys = Object.keys(def.inputs);
  return (
    keys.length === 1 &&
    keys[0] === EXAMPLES_INPUT &&
    def.inputs[EXAMPLES_INPUT]!.dtype === "DT_STRING"
  );
}
