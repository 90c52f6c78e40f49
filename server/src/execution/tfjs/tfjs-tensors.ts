import * as tf from "@tensorflow/tfjs";
import {
  invalidArgument,
  allocate,
  type DataType,
  type HostArrayByType,
  type HostTensor,
} from "@servable/protocol";

/**
 * Conversions between host tensors and TF.js tensors. TF.js knows float32, int32, bool
 * and string: wider types are narrowed on the way in and widened back to the
 * signature's dtype on the way out.
 */
export function toTfTensor(host: HostTensor): tf.Tensor {
  const shape = host.shape as number[];
  switch (host.dtype) {
    case "DT_STRING":
      return tf.tensor(host.data as Uint8Array[], shape, "string");
    case "DT_BOOL":
      return tf.tensor(host.data as Uint8Array, shape, "bool");
    case "DT_FLOAT":
    case "DT_HALF":
      return tf.tensor(host.data as Float32Array, shape, "float32");
    case "DT_DOUBLE":
      return tf.tensor(Float32Array.from(host.data as Float64Array), shape, "float32");
    case "DT_INT32":
      return tf.tensor(host.data as Int32Array, shape, "int32");
    case "DT_INT64":
    case "DT_UINT64":
      return tf.tensor(Int32Array.from(host.data as BigInt64Array, Number), shape, "int32");
    default:
      return tf.tensor(Int32Array.from(host.data as Int8Array), shape, "int32");
  }
}

/** Reads a TF.js tensor back into a host tensor of the signature's dtype. */
export async function fromTfTensor(tensor: tf.Tensor, dtype: DataType): Promise<HostTensor> {
  const shape = tensor.shape;
  if (dtype === "DT_STRING") {
    if (tensor.dtype !== "string") throw typeMismatch(tensor, dtype);
    return { dtype, shape, data: (await tensor.bytes()) as Uint8Array[] };
  }
  if (tensor.dtype === "string") throw typeMismatch(tensor, dtype);
  const values = (await tensor.data()) as Float32Array | Int32Array | Uint8Array;
  return { dtype, shape, data: convertArray(values, dtype) };
}

function convertArray(
  values: Float32Array | Int32Array | Uint8Array,
  dtype: Exclude<DataType, "DT_STRING">,
): HostArrayByType[typeof dtype] {
  const target = allocate(dtype, values.length);
  if (target instanceof BigInt64Array || target instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) target[i] = BigInt(Math.trunc(values[i]!));
  } else {
    target.set(values);
  }
  return target;
}

function typeMismatch(tensor: tf.Tensor, dtype: DataType): Error {
  return invalidArgument(
    `Output tensor has TF.js dtype ${tensor.dtype}, which the signature's ${dtype} cannot hold`,
  );
}
