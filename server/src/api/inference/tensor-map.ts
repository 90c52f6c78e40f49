import type { TensorMap } from "@servable/protocol";

/**
 * An empty map of tensors by input or output key. The keys are names a model file or a
 * client chose ("__proto__" included), so the map has no prototype to collide with.
 */
export const newTensorMap = (): TensorMap => Object.create(null) as TensorMap;
