import { ElementType, encodeModel, type ValueInfo } from "@servable/protocol";
import {
  asLayersModel,
  followLayers,
  UnexportableLayerError,
  type SymbolicTensorLike,
  type TfjsModel,
} from "../tfjs/tfjs-model";
import { tensorValue } from "./onnx-builder";
import { OnnxGraphBuilder } from "./onnx-graph-builder";
import { OnnxLayerWriter } from "./onnx-layers";

/**
 * A TF.js layers model compiled to an ONNX graph that computes what its `predict`
 * computes, so ONNX Runtime can run it. The graph's inputs and outputs are named as the
 * model's symbolic tensors are ("input1", "dense_Dense3/Softmax"...): the names a TF.js
 * version's signatures bind, so the same signatures bind the compiled graph. The batch
 * dimension is free ("N"); the others are the model's.
 *
 * A model with a layer (or an activation, a padding, a data format) that has no ONNX form
 * here is not compiled: the result says which layer and why, and nothing is thrown.
 */
export type OnnxCompilation =
  | { readonly compiled: true; readonly onnx: Uint8Array }
  | { readonly compiled: false; readonly reason: string };

/** The ONNX opset the compiled graphs import. */
export const COMPILED_OPSET = 13;

/** Element types of the inputs and outputs a compiled graph takes and gives, by TF.js dtype. */
const ELEMENT_TYPES: ReadonlyMap<string, number> = new Map([
  ["float32", ElementType.FLOAT],
  ["int32", ElementType.INT32],
]);

export function compileLayersModel(model: TfjsModel): OnnxCompilation {
  try {
    return { compiled: true, onnx: compile(model) };
  } catch (error) {
    if (error instanceof UnexportableLayerError) return { compiled: false, reason: error.message };
    // A layer config the writer did not expect (a missing weight...) is also a reason
    // not to compile, never a reason for the version to fail.
    return { compiled: false, reason: `compiling failed: ${(error as Error).message}` };
  }
}

function compile(model: TfjsModel): Uint8Array {
  const layers = asLayersModel(model, "ONNX");
  const g = new OnnxGraphBuilder();
  const writer = new OnnxLayerWriter(g);
  const inputs = unique(layers.inputs);
  const outputs = unique(layers.outputs);
  for (const t of [...inputs, ...outputs]) g.reserve(t.name);
  const feeds = new Map(inputs.map((t) => [t.id, t.name]));
  const computed = followLayers(outputs, feeds, (layer, refs, output) =>
    writer.layer(layer, refs, output),
  );
  // Every output takes its tensor's name (reserved above, so no node has it yet); ONNX
  // Runtime drops the Identity.
  outputs.forEach((t, i) => {
    if (computed[i] !== t.name) g.addNamed("Identity", [computed[i]!], t.name);
  });
  return encodeCompiledModel("tfjs", g, inputs.map(valueOf), outputs.map(valueOf));
}

/** The model file of a compiled graph: layers and graph models alike get the same header. */
export function encodeCompiledModel(
  graphName: string,
  g: OnnxGraphBuilder,
  input: ValueInfo[],
  output: ValueInfo[],
): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: "servable-tfjs-to-onnx",
    opsetImport: [{ domain: "", version: COMPILED_OPSET }],
    graph: { name: graphName, node: g.nodes, initializer: g.initializers, input, output },
  });
}

function valueOf(t: SymbolicTensorLike): ValueInfo {
  const type = ELEMENT_TYPES.get(t.dtype);
  if (type === undefined) {
    throw new UnexportableLayerError(
      `tensor ${t.name} is ${t.dtype}; compiled graphs carry float32 and int32`,
    );
  }
  const dims = t.shape.map((d, i) => (i === 0 ? "N" : d === null || d < 0 ? `${t.name}_${i}` : d));
  return tensorValue(t.name, type, dims);
}

function unique(tensors: readonly SymbolicTensorLike[]): SymbolicTensorLike[] {
  const seen = new Set<number>();
  return tensors.filter((t) => !seen.has(t.id) && seen.add(t.id));
}
