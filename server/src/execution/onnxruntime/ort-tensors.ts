import type { Tensor } from "onnxruntime-node";
import {
  internal,
  type DataType,
  type HostTensor,
  fromHalfBits,
  toHalfBits,
} from "@servable/protocol";
import type { OnnxRuntime } from "./onnx-runtime";
import { dataTypeOfOrtType, ORT_TYPES } from "./ort-types";

/**
 * Host tensors to onnxruntime tensors and back. Numeric data is shared, not copied
 * (both sides hold typed arrays of the same layout); strings cross as UTF-8 (Servable's
 * byte strings are decoded on the way in, encoded on the way out); float16 converts
 * between the host's float32 and onnxruntime's 16-bit patterns.
 */
export function toOrtTensor(Tensor: OnnxRuntime["Tensor"], host: HostTensor): Tensor {
  const dims = [...host.shape];
  const type = ORT_TYPES[host.dtype];
  if (host.dtype === "DT_STRING") {
    const decoder = new TextDecoder();
    return new Tensor(
      "string",
      (host.data as Uint8Array[]).map((b) => decoder.decode(b)),
      dims,
    );
  }
  if (host.dtype === "DT_HALF") {
    return new Tensor("float16", toHalfBits(host.data as Float32Array), dims);
  }
  return new Tensor(type as "float32", host.data as Float32Array, dims);
}

export function fromOrtTensor(tensor: Tensor): HostTensor {
  const dtype: DataType | undefined = dataTypeOfOrtType(tensor.type);
  if (!dtype)
    throw internal(`onnxruntime returned a ${tensor.type} tensor, which Servable cannot carry`);
  const shape = [...tensor.dims];
  if (dtype === "DT_STRING") {
    const encoder = new TextEncoder();
    return { dtype, shape, data: (tensor.data as string[]).map((s) => encoder.encode(s)) };
  }
  if (dtype === "DT_HALF") {
    return { dtype, shape, data: fromHalfBits(tensor.data as Uint16Array) };
  }
  return { dtype, shape, data: tensor.data as HostTensor["data"] };
}
