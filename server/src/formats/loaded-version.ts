import type * as tf from "@tensorflow/tfjs";
import type { DataType, SignatureDefMap } from "@servable/protocol";
import type { SignatureBinding as OnnxSignatureBinding } from "./onnx/onnx-signatures";

/**
 * What a format makes of one version directory: the model, loaded into memory, with its
 * signatures and how each one maps onto the model's tensors. How and where it runs
 * (which engine, which thread, batched or not) is execution's choice, not the format's.
 */
export type LoadedVersion = TfjsVersion | OnnxVersion;

interface VersionBase {
  /** The version's SignatureDefs, as the metadata endpoint prints them. */
  readonly signatures: SignatureDefMap;
  /** Class labels of classify signatures that name them (signature name -> labels). */
  readonly classLabels?: Readonly<Record<string, readonly string[]>>;
  /** True when the model parses tf.Examples itself (see Servable.parsesExamples). */
  readonly parsesExamples?: boolean;
}

/** A model TensorFlow.js runs: a TF.js model, or a SavedModel read into a TF.js graph or on native TensorFlow. */
export interface TfjsVersion extends VersionBase {
  readonly engine: "tfjs";
  readonly model: TfjsModel;
  /**
   * Each signature's inputs and outputs by tensor name; a signature that cannot run
   * maps to the reason (a SavedModel's init op, sparse tensors...).
   */
  readonly bindings: ReadonlyMap<string, TensorBindings | string>;
  /** Frees the model's tensors. */
  dispose(): void;
}

export type TfjsModel =
  | { readonly kind: "layers"; readonly model: tf.LayersModel }
  | { readonly kind: "graph"; readonly model: tf.GraphModel }
  /** One native TensorFlow session per signature, fed and fetched by signature keys. */
  | { readonly kind: "native"; readonly bySignature: ReadonlyMap<string, NativeSignature> };

/** A SavedModel signature loaded by @tensorflow/tfjs-node. */
export interface NativeSignature {
  predict(inputs: tf.NamedTensorMap): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  dispose(): void;
}

/** A signature's input and output keys, each bound to a tensor of the model. */
export interface TensorBindings {
  readonly inputs: ReadonlyMap<string, TensorBinding>;
  readonly outputs: ReadonlyMap<string, TensorBinding>;
}

export interface TensorBinding {
  /** The tensor fed or fetched ("x:0", a layer's output...). */
  readonly name: string;
  /** The dtype the signature gives the key. */
  readonly dtype: DataType;
  /**
   * The graph's own dtype of a fed tensor, when a feed must match it exactly, as a
   * TensorFlow session demands (a SavedModel's placeholders).
   */
  readonly feedDtype?: string;
}

/** An ONNX model for ONNX Runtime: its bytes, and each signature bound to its graph. */
export interface OnnxVersion extends VersionBase {
  readonly engine: "onnxruntime";
  /** The model a session is created from (ZipMap outputs already exposed as tensors). */
  readonly model: Uint8Array;
  readonly bindings: ReadonlyMap<string, OnnxSignatureBinding>;
  /** Producer, IR version and opsets, for the load log. */
  readonly description: Readonly<Record<string, unknown>>;
}

/** Binds every signature's keys to the tensors its TensorInfos name. */
export function bindByTensorNames(
  signatures: SignatureDefMap,
  feedDtypes?: ReadonlyMap<string, string>,
): Map<string, TensorBindings> {
  const bindings = new Map<string, TensorBindings>();
  for (const [name, def] of Object.entries(signatures.signature_def)) {
    const inputs = new Map<string, TensorBinding>();
    for (const [key, info] of Object.entries(def.inputs)) {
      const feedDtype = feedDtypes?.get(info.name);
      inputs.set(key, { name: info.name, dtype: info.dtype, ...(feedDtype && { feedDtype }) });
    }
    const outputs = new Map<string, TensorBinding>();
    for (const [key, info] of Object.entries(def.outputs)) {
      outputs.set(key, { name: info.name, dtype: info.dtype });
    }
    bindings.set(name, { inputs, outputs });
  }
  return bindings;
}
