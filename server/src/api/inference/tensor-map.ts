import type { TensorMap } from "@servable/protocol";

/**
 * An empty map of tensors by input or output key. The keys are names a model file or a
 * client chose ("__proto__" included), so the map has no prototype to collide with.
 */
export const newTensorMap = (): TensorMap => Object.create(null) as TensorMap;

/**
 * A copy whose typed arrays are the map's own: what stays readable after the originals
 * moved to a worker thread (a shadow run needs a request's inputs and outputs again).
 */
export function copyTensors(tensors: TensorMap): TensorMap {
  const copy = newTensorMap();
  for (const [key, tensor] of Object.entries(tensors)) {
    const data = Array.isArray(tensor.data) ? [...tensor.data] : tensor.data.slice();
    copy[key] = { ...tensor, data } as typeof tensor;
  }
  return copy;
}
