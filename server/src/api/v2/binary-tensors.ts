import {
  allocate,
  fromHalfBits,
  invalidArgument,
  lengthPrefixedStrings,
  numElements,
  toHalfBits,
  type DataType,
  type HostTensor,
  type TensorData,
} from "@servable/protocol";
import { dataTypeToV2 } from "./datatypes";

/**
 * The binary tensor data extension's layout of one tensor (Triton's and KServe's
 * "binary_tensor_data"): elements little-endian, row-major, no padding, each in its
 * datatype's own size (BOOL one byte 0 or 1, FP16 two bytes); a BYTES element is a 4-byte
 * little-endian length and then its bytes.
 */

const ELEMENT_BYTES: Record<Exclude<DataType, "DT_STRING">, number> = {
  DT_BOOL: 1,
  DT_INT8: 1,
  DT_UINT8: 1,
  DT_INT16: 2,
  DT_UINT16: 2,
  DT_HALF: 2,
  DT_INT32: 4,
  DT_UINT32: 4,
  DT_FLOAT: 4,
  DT_INT64: 8,
  DT_UINT64: 8,
  DT_DOUBLE: 8,
};

// Typed arrays use the host's byte order; the extension's is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The tensor data of `bytes`, for `shape` of `dtype` (a copy: the body's buffer is not kept).
 * @throws ServingError INVALID_ARGUMENT when the size does not match the shape
 */
export function readBinaryTensor(
  name: string,
  dtype: DataType,
  shape: readonly number[],
  bytes: Uint8Array,
): TensorData {
  const count = numElements(shape);
  if (dtype === "DT_STRING") return readBytesElements(name, shape, count, bytes);
  const size = ELEMENT_BYTES[dtype];
  if (bytes.length !== count * size) {
    throw invalidArgument(
      `Input '${name}' has binary_data_size ${bytes.length} but shape [${shape.join(",")}] of ` +
        `${dataTypeToV2(dtype)} needs ${count * size} bytes`,
    );
  }
  if (dtype === "DT_HALF") {
    const bits = new Uint16Array(count);
    copyInto(bits, bytes, 2);
    return fromHalfBits(bits);
  }
  const data = allocate(dtype, count) as Exclude<TensorData, Uint8Array[]>;
  copyInto(data, bytes, size);
  if (dtype === "DT_BOOL") {
    const flags = data as Uint8Array;
    for (let i = 0; i < count; i++) if (flags[i]! > 1) flags[i] = 1;
  }
  return data;
}

/** A tensor's bytes in the extension's layout. */
export function writeBinaryTensor(tensor: HostTensor): Uint8Array {
  const { dtype, data } = tensor;
  if (dtype === "DT_STRING") return lengthPrefixedStrings(data as Uint8Array[]);
  const view = dtype === "DT_HALF" ? toHalfBits(data as Float32Array) : (data as ArrayBufferView);
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  return swapped(bytes, dtype === "DT_HALF" ? 2 : ELEMENT_BYTES[dtype]);
}

function copyInto(target: ArrayBufferView, bytes: Uint8Array, size: number): void {
  const into = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  into.set(LITTLE_ENDIAN ? bytes : swapped(bytes, size));
}

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  }
  return out;
}

function readBytesElements(
  name: string,
  shape: readonly number[],
  count: number,
  bytes: Uint8Array,
): Uint8Array[] {
  // Each element takes 4 bytes at least: a shape too big for the bytes fails before allocating.
  if (count * 4 > bytes.length) throw bytesMismatch(name, shape, count, undefined);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<Uint8Array>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw bytesMismatch(name, shape, count, i);
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.length) throw bytesMismatch(name, shape, count, i);
    out[i] = bytes.slice(at, at + length);
    at += length;
  }
  if (at !== bytes.length) {
    throw invalidArgument(
      `Input '${name}' has ${bytes.length - at} bytes of binary data beyond its ${count} BYTES elements`,
    );
  }
  return out;
}

const bytesMismatch = (
  name: string,
  shape: readonly number[],
  count: number,
  found: number | undefined,
) =>
  invalidArgument(
    `Input '${name}' has binary data for ${found ?? "fewer"} BYTES elements but shape [${shape.join(",")}] needs ${count}`,
  );
