import { allocate, isDataType, type DataType } from "../data-type";
import { halfBits, halfValue } from "../float16";
import { numElements, type HostTensor } from "../tensor";
import type { TensorProto, TensorShapeProto } from "./tensorflow-protos";

/**
 * TensorFlow tensor values (a Const's TensorProto, a checkpoint's raw bytes) as host
 * tensors, and host tensors as TensorProtos, following Tensor::FromProto: raw
 * little-endian `tensor_content`, or a typed value list whose last value fills the rest.
 */
export class TensorValueError extends Error {}

/** A shape's dimensions; undefined for an unknown rank (an int64 0 is absent when read). */
export function shapeDims(shape: TensorShapeProto | undefined): number[] | undefined {
  if (shape?.unknown_rank) return undefined;
  return (shape?.dim ?? []).map((d) => Number(d.size ?? 0));
}

export function shapeProto(dims: readonly number[] | undefined): TensorShapeProto {
  if (dims === undefined) return { unknown_rank: true };
  return { dim: dims.map((size) => ({ size: String(size) })) };
}

const BYTES_PER_ELEMENT: Partial<Record<DataType, number>> = {
  DT_FLOAT: 4,
  DT_DOUBLE: 8,
  DT_HALF: 2,
  DT_INT8: 1,
  DT_INT16: 2,
  DT_INT32: 4,
  DT_INT64: 8,
  DT_UINT8: 1,
  DT_UINT16: 2,
  DT_UINT32: 4,
  DT_UINT64: 8,
  DT_BOOL: 1,
};

export function checkedDataType(dtype: string | undefined, what: string): DataType {
  if (dtype === undefined || !isDataType(dtype)) {
    throw new TensorValueError(
      `${what} has dtype ${dtype ?? "DT_INVALID"}, which Servable cannot hold`,
    );
  }
  return dtype;
}

/** A numeric tensor from its raw little-endian bytes (tensor_content, checkpoint data). */
export function tensorFromBytes(
  dtype: Exclude<DataType, "DT_STRING">,
  shape: readonly number[],
  bytes: Uint8Array,
): HostTensor {
  const count = numElements(shape);
  const width = BYTES_PER_ELEMENT[dtype]!;
  if (bytes.length !== count * width) {
    throw new TensorValueError(
      `a ${dtype} tensor of shape [${shape.join(",")}] needs ${count * width} bytes, got ${bytes.length}`,
    );
  }
  const data = allocate(dtype, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    const at = i * width;
    switch (dtype) {
      case "DT_FLOAT":
        (data as Float32Array)[i] = view.getFloat32(at, true);
        break;
      case "DT_DOUBLE":
        (data as Float64Array)[i] = view.getFloat64(at, true);
        break;
      case "DT_HALF":
        (data as Float32Array)[i] = halfValue(view.getUint16(at, true));
        break;
      case "DT_INT8":
        (data as Int8Array)[i] = view.getInt8(at);
        break;
      case "DT_INT16":
        (data as Int16Array)[i] = view.getInt16(at, true);
        break;
      case "DT_INT32":
        (data as Int32Array)[i] = view.getInt32(at, true);
        break;
      case "DT_INT64":
        (data as BigInt64Array)[i] = view.getBigInt64(at, true);
        break;
      case "DT_UINT8":
      case "DT_BOOL":
        (data as Uint8Array)[i] = view.getUint8(at);
        break;
      case "DT_UINT16":
        (data as Uint16Array)[i] = view.getUint16(at, true);
        break;
      case "DT_UINT32":
        (data as Uint32Array)[i] = view.getUint32(at, true);
        break;
      case "DT_UINT64":
        (data as BigUint64Array)[i] = view.getBigUint64(at, true);
        break;
    }
  }
  return { dtype, shape, data };
}

/** The value of a TensorProto (a Const's `value` attr, a signature default). */
export function tensorFromProto(proto: TensorProto, what: string): HostTensor {
  const dtype = checkedDataType(proto.dtype, what);
  const shape = shapeDims(proto.tensor_shape);
  if (shape === undefined || shape.some((d) => d < 0)) {
    throw new TensorValueError(`${what} has a value of unknown shape`);
  }
  const count = numElements(shape);
  if (dtype !== "DT_STRING" && proto.tensor_content && proto.tensor_content.length > 0) {
    return tensorFromBytes(dtype, shape, proto.tensor_content);
  }
  const values = protoValues(proto, dtype);
  if (values.length > count) {
    throw new TensorValueError(
      `${what} holds ${values.length} values for shape [${shape.join(",")}]`,
    );
  }
  const data = allocate(dtype, count);
  if (values.length > 0) {
    const last = values[values.length - 1]!;
    for (let i = 0; i < count; i++) {
      (data as unknown[])[i] = i < values.length ? values[i] : last;
    }
  }
  return { dtype, shape, data };
}

type Scalar = number | bigint | Uint8Array;

function protoValues(proto: TensorProto, dtype: DataType): Scalar[] {
  switch (dtype) {
    case "DT_FLOAT":
      return proto.float_val ?? [];
    case "DT_DOUBLE":
      return proto.double_val ?? [];
    case "DT_HALF":
      return (proto.half_val ?? []).map(halfValue);
    case "DT_INT8":
    case "DT_INT16":
    case "DT_INT32":
    case "DT_UINT8":
    case "DT_UINT16":
      return proto.int_val ?? [];
    case "DT_UINT32":
      return proto.uint32_val ?? [];
    case "DT_INT64":
      return (proto.int64_val ?? []).map((v) => BigInt(v));
    case "DT_UINT64":
      return (proto.uint64_val ?? []).map((v) => BigInt(v));
    case "DT_BOOL":
      return (proto.bool_val ?? []).map((b) => (b ? 1 : 0));
    case "DT_STRING":
      return proto.string_val ?? [];
  }
}

/** A host tensor as a TensorProto: numbers as raw `tensor_content`, strings as `string_val`. */
export function tensorToProto(tensor: HostTensor): TensorProto {
  const proto: TensorProto = { dtype: tensor.dtype, tensor_shape: shapeProto(tensor.shape) };
  if (tensor.dtype === "DT_STRING") {
    const strings = tensor.data as Uint8Array[];
    if (strings.length > 0) proto.string_val = [...strings];
    return proto;
  }
  const width = BYTES_PER_ELEMENT[tensor.dtype]!;
  const bytes = new Uint8Array(tensor.data.length * width);
  const view = new DataView(bytes.buffer);
  const data = tensor.data as ArrayLike<number | bigint>;
  for (let i = 0; i < data.length; i++) {
    const at = i * width;
    const value = data[i]!;
    switch (tensor.dtype) {
      case "DT_FLOAT":
        view.setFloat32(at, value as number, true);
        break;
      case "DT_DOUBLE":
        view.setFloat64(at, value as number, true);
        break;
      case "DT_HALF":
        view.setUint16(at, halfBits(value as number), true);
        break;
      case "DT_INT8":
        view.setInt8(at, value as number);
        break;
      case "DT_INT16":
        view.setInt16(at, value as number, true);
        break;
      case "DT_INT32":
        view.setInt32(at, value as number, true);
        break;
      case "DT_INT64":
        view.setBigInt64(at, value as bigint, true);
        break;
      case "DT_UINT8":
      case "DT_BOOL":
        view.setUint8(at, value as number);
        break;
      case "DT_UINT16":
        view.setUint16(at, value as number, true);
        break;
      case "DT_UINT32":
        view.setUint32(at, value as number, true);
        break;
      case "DT_UINT64":
        view.setBigUint64(at, value as bigint, true);
        break;
    }
  }
  if (bytes.length > 0) proto.tensor_content = bytes;
  return proto;
}

/**
 * A host tensor as TF Serving answers gRPC requests by default: the values in the typed
 * `*_val` field of its dtype (`--enable_serialization_as_tensor_content` is the raw form).
 */
export function tensorToTypedProto(tensor: HostTensor): TensorProto {
  const proto: TensorProto = { dtype: tensor.dtype, tensor_shape: shapeProto(tensor.shape) };
  const data = tensor.data;
  switch (tensor.dtype) {
    case "DT_FLOAT":
      proto.float_val = Array.from(data as Float32Array);
      break;
    case "DT_DOUBLE":
      proto.double_val = Array.from(data as Float64Array);
      break;
    case "DT_HALF":
      proto.half_val = Array.from(data as Float32Array, halfBits);
      break;
    case "DT_INT64":
      proto.int64_val = Array.from(data as BigInt64Array, String);
      break;
    case "DT_UINT64":
      proto.uint64_val = Array.from(data as BigUint64Array, String);
      break;
    case "DT_UINT32":
      proto.uint32_val = Array.from(data as Uint32Array);
      break;
    case "DT_BOOL":
      proto.bool_val = Array.from(data as Uint8Array, Boolean);
      break;
    case "DT_STRING":
      proto.string_val = [...(data as Uint8Array[])];
      break;
    default:
      proto.int_val = Array.from(data as Int32Array);
  }
  return proto;
}
