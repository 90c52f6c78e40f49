import type { TensorDescription, TfjsModel } from "@servable/convert";

/**
 * What the library needs of a TensorFlow.js model: a LayersModel or a GraphModel, from
 * `@tensorflow/tfjs` or `@tensorflow/tfjs-node` (any copy: nothing here checks classes).
 */
export type Model = TfjsModel;
export type { TensorDescription };

/** A model's input or output as a signature names it: a logical key and the tensor. */
export interface ModelTensor {
  /** The key a signature uses by default: the layer name, or the graph node name. */
  readonly key: string;
  /**
   * The name a signature file gives the tensor. A layers model's tensors are named by
   * layer: TF.js renames its tensors in each process that loads it, never its layers.
   */
  readonly name: string;
  /** The tensor's name in this process (`model.outputs[0].name`). */
  readonly tensorName: string;
  readonly dtype: string;
  readonly shape: readonly (number | null)[] | undefined;
}

export function isModel(value: unknown): value is Model {
  const model = value as Partial<Model> | null;
  return (
    typeof model === "object" &&
    model !== null &&
    typeof model.save === "function" &&
    Array.isArray(model.inputs) &&
    Array.isArray(model.outputs)
  );
}

export function modelInputs(model: Model): ModelTensor[] {
  return model.inputs.map(describe);
}

export function modelOutputs(model: Model): ModelTensor[] {
  return model.outputs.map(describe);
}

/**
 * A layers model's tensor is keyed and named by the layer that makes it (a Sequential
 * model has no inputNames until it has run, but its tensors know their layers); a graph
 * model's by its node name (the tensor name without ":0").
 */
function describe(tensor: TensorDescription): ModelTensor {
  const layer = (tensor as { sourceLayer?: { name?: unknown } }).sourceLayer?.name;
  const layerName = typeof layer === "string" ? layer : undefined;
  return {
    key: layerName ?? tensor.name.replace(/:\d+$/, ""),
    name: layerName ?? tensor.name,
    tensorName: tensor.name,
    dtype: tensor.dtype ?? "float32",
    shape: tensor.shape ?? undefined,
  };
}
