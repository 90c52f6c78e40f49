import { invalidArgument } from "../../core/errors";
import { allocate, isDataType, type DataType } from "../../servable/data-type";
import type { HostTensor } from "../../servable/tensor";

/**
 * TensorFlow's TensorProto (as @grpc/proto-loader hands it over: enums as names, int64
 * as decimal strings, bytes as Buffers) to host tensors and back.
 */
export interface TensorProtoObject {
  dtype?: string;
  tensor_shape?: { dim?: { size?: string | number }[]; unknown_rank?: boolean };
  tensor_content?: Uint8Array;
  half_val?: number[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  string_val?: Uint8Array[];
  int64_val?: (string | number)[];
  bool_val?: boolean[];
  uint32_val?: number[];
  uint64_val?: (string | number)[];
}

/** A request's TensorProto as a host tensor (TensorFlow's Tensor::FromProto rules). */
export function fromTensorProto(proto: TensorProtoObject, name: string): HostTensor {
  const dtype = proto.dtype ?? "DT_INVALID";
  if (!isDataType(dtype)) throw invalidArgument(`Input ${name}: unsupported dtype ${dtype}`);
  if (proto.tensor_shape?.unknown_rank)
    throw invalidArgument(`Input ${name}: the tensor's shape is unknown`);
  const shape = (proto.tensor_shape?.dim ?? []).map((d) => Number(d.size ?? 0));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw invalidArgument(`Input ${name}: invalid shape [${shape.join(",")}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const data = allocate(dtype, count);
  const content = proto.tensor_content;
  if (content && content.length > 0 && dtype !== "DT_STRING") {
    readContent(dtype, content, data as Exclude<HostTensor["data"], Uint8Array[]>, name);
  } else {
    fillFromValues(dtype, proto, data, name);
  }
  return { dtype, shape, data };
}

function readContent(
  dtype: DataType,
  content: Uint8Array,
  data: Exclude<HostTensor["data"], Uint8Array[]>,
  name: string,
): void {
  const bytes = bytesPerElement(dtype);
  if (content.length !== data.length * bytes) {
    throw invalidArgument(
      `Input ${name}: tensor_content holds ${content.length} bytes, the shape needs ${data.length * bytes}`,
    );
  }
  const aligned = new Uint8Array(content);
  if (dtype === "DT_HALF") {
    const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, data.length);
    for (let i = 0; i < halves.length; i++) (data as Float32Array)[i] = halfToFloat(halves[i]!);
    return;
  }
  new Uint8Array(data.buffer, data.byteOffset, content.length).set(aligned);
}

/** The typed `*_val` field of a dtype; a shorter list repeats its last value, as TensorFlow does. */
function fillFromValues(
  dtype: DataType,
  proto: TensorProtoObject,
  data: HostTensor["data"],
  name: string,
): void {
  const values = valuesOf(dtype, proto);
  if (values.length > data.length) {
    throw invalidArgument(
      `Input ${name}: ${values.length} values for a shape of ${data.length} elements`,
    );
  }
  const target = data as unknown as unknown[];
  for (let i = 0; i < data.length; i++) {
    target[i] = values.length === 0 ? zeroOf(dtype) : values[Math.min(i, values.length - 1)];
  }
}

function valuesOf(dtype: DataType, proto: TensorProtoObject): unknown[] {
  switch (dtype) {
    case "DT_FLOAT":
      return proto.float_val ?? [];
    case "DT_DOUBLE":
      return proto.double_val ?? [];
    case "DT_HALF":
      return (proto.half_val ?? []).map(halfToFloat);
    case "DT_INT32":
    case "DT_INT16":
    case "DT_INT8":
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
      return (proto.string_val ?? []).map((b) => new Uint8Array(b));
  }
}

function zeroOf(dtype: DataType): unknown {
  if (dtype === "DT_STRING") return new Uint8Array(0);
  if (dtype === "DT_INT64" || dtype === "DT_UINT64") return 0n;
  return 0;
}

/** A host tensor as a TensorProto with TF Serving's default encoding (the typed `*_val` fields). */
export function toTensorProto(tensor: HostTensor): TensorProtoObject {
  const proto: TensorProtoObject = {
    dtype: tensor.dtype,
    tensor_shape: { dim: tensor.shape.map((size) => ({ size })) },
  };
  const data = tensor.data;
  switch (tensor.dtype) {
    case "DT_FLOAT":
      proto.float_val = Array.from(data as Float32Array);
      break;
    case "DT_DOUBLE":
      proto.double_val = Array.from(data as Float64Array);
      break;
    case "DT_HALF":
      proto.half_val = Array.from(data as Float32Array, floatToHalf);
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
      proto.string_val = (data as Uint8Array[]).map((b) => Buffer.from(b));
      break;
    default:
      proto.int_val = Array.from(data as Int32Array);
  }
  return proto;
}

function bytesPerElement(dtype: DataType): number {
  switch (dtype) {
    case "DT_DOUBLE":
    case "DT_INT64":
    case "DT_UINT64":
      return 8;
    case "DT_FLOAT":
    case "DT_INT32":
    case "DT_UINT32":
      return 4;
    case "DT_HALF":
    case "DT_INT16":
    case "DT_UINT16":
      return 2;
    default:
      return 1;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A number to IEEE 754 binary16 bits, rounding to nearest even. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (half + (rest > midpoint || (rest === midpoint && half & 1) ? 1 : 0));
  }
  let half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}
