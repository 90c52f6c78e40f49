import type { io } from "@tensorflow/tfjs";

/**
 * What the converters need of a TensorFlow.js model, from `@tensorflow/tfjs` or
 * `@tensorflow/tfjs-node` (any copy: nothing here checks classes). Type-only: the
 * converters never load TF.js themselves.
 */
export interface TensorDescription {
  readonly name: string;
  readonly dtype?: string;
  readonly shape?: readonly (number | null)[] | null;
}

/** A LayersModel or a GraphModel. */
export interface TfjsModel {
  save(handler: io.IOHandler, config?: io.SaveConfig): Promise<io.SaveResult>;
  readonly inputs: readonly TensorDescription[];
  readonly outputs: readonly TensorDescription[];
}

/**
 * A layers model's symbolic tensor: it knows the layer call that made it and that call's
 * inputs, so a converter can follow the graph from the outputs back to the inputs.
 */
export interface SymbolicTensorLike {
  readonly id: number;
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | null)[];
  readonly sourceLayer: LayerLike;
  readonly inputs: readonly SymbolicTensorLike[];
  readonly outputTensorIndex?: number;
}

export interface LayerLike {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  readonly weights: readonly {
    readonly originalName: string;
    read(): { readonly shape: number[]; readonly dtype: string; dataSync(): ArrayLike<number> };
  }[];
  /** Set when the layer is itself a model. */
  readonly inputs?: readonly SymbolicTensorLike[];
  readonly outputs?: readonly SymbolicTensorLike[];
}

/** A layers model (tf.sequential, tf.model) as the converters read it. */
export interface LayersModelLike {
  readonly inputs: readonly SymbolicTensorLike[];
  readonly outputs: readonly SymbolicTensorLike[];
  /** The keys signatures use for them by default: their layer names. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

/**
 * The layer classes both graph writers have a form for: TensorFlow ops (a frozen SavedModel)
 * and ONNX operators (the compiled engine). One list, so the two never drift apart.
 */
export const GRAPH_LAYERS = [
  "InputLayer",
  "Dense",
  "Conv2D",
  "DepthwiseConv2D",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "GlobalMaxPooling2D",
  "GlobalAveragePooling1D",
  "GlobalMaxPooling1D",
  "Flatten",
  "Reshape",
  "Dropout",
  "SpatialDropout1D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "BatchNormalization",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "ELU",
  "Softmax",
  "Add",
  "Subtract",
  "Multiply",
  "Average",
  "Maximum",
  "Minimum",
  "Concatenate",
  "Embedding",
] as const;

/** A layer (or a model) a converter cannot express in its target: thrown before anything is written. */
export class UnexportableLayerError extends Error {
  override readonly name = "UnexportableLayerError";
}

/** The model as a layers model, or an UnexportableLayerError naming what `target` takes. */
export function asLayersModel(model: TfjsModel, target: string): LayersModelLike {
  const candidate = model as unknown as Partial<LayersModelLike>;
  const symbolic = (list: unknown) =>
    Array.isArray(list) &&
    list.every((t: Partial<SymbolicTensorLike>) => t.sourceLayer !== undefined);
  if (!symbolic(candidate.inputs) || !symbolic(candidate.outputs)) {
    throw new UnexportableLayerError(
      `${target} export takes a TF.js LayersModel (tf.sequential / tf.model); export a GraphModel in TF.js format instead`,
    );
  }
  // A Sequential model fills inputNames/outputNames only once it has run; its tensors'
  // layers give the same names before.
  const named = (tensors: readonly SymbolicTensorLike[], names: unknown) =>
    tensors.map(
      (t, i) =>
        (Array.isArray(names) && typeof names[i] === "string"
          ? names[i]
          : t.sourceLayer.name) as string,
    );
  return {
    inputs: candidate.inputs!,
    outputs: candidate.outputs!,
    inputNames: named(candidate.inputs!, candidate.inputNames),
    outputNames: named(candidate.outputs!, candidate.outputNames),
  };
}

/**
 * Follows a layers model's graph from `outputs` back to the `feeds` (tensor id -> what the
 * target calls that tensor), one layer call at a time, each call converted once by
 * `convert` from its converted inputs. A model used as a layer is followed through.
 */
export function followLayers<Ref>(
  outputs: readonly SymbolicTensorLike[],
  feeds: ReadonlyMap<number, Ref>,
  convert: (layer: LayerLike, inputs: Ref[], output: SymbolicTensorLike) => Ref,
): Ref[] {
  const memo = new Map<number, Ref>(feeds);
  const visit = (t: SymbolicTensorLike): Ref => {
    const known = memo.get(t.id);
    if (known !== undefined) return known;
    const layer = t.sourceLayer;
    let ref: Ref;
    if (layer.outputs && layer.inputs) {
      const inner = new Map(layer.inputs.map((input, i) => [input.id, visit(t.inputs[i]!)]));
      ref = followLayers([layer.outputs[t.outputTensorIndex ?? 0]!], inner, convert)[0]!;
    } else if (layer.getClassName() === "InputLayer") {
      throw new UnexportableLayerError(`input ${t.name} is not fed`);
    } else {
      ref = convert(layer, t.inputs.map(visit), t);
    }
    memo.set(t.id, ref);
    return ref;
  };
  return outputs.map(visit);
}
