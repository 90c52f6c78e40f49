import {
  compileGraphModel,
  compileLayersModel,
  tfjsToDataType,
  type GraphModelLike,
  type GraphTensor,
  type OnnxCompilation,
} from "@servable/convert";
import type {
  OnnxVersion,
  TensorBindings,
  TfjsModel,
  TfjsVersion,
} from "../../formats/loaded-version";
import type { OutputBinding, SignatureBinding } from "../../formats/onnx/onnx-signatures";

/**
 * A TF.js version as ONNX versions: its model compiled to ONNX graphs whose inputs and
 * outputs carry the model's tensor names, bound to the same signatures, so metadata,
 * classify and regress, batching and replicas see the same version whichever engine
 * runs it. A layers model compiles to one graph; a graph model (or a SavedModel read
 * into one) to one graph per set of fed tensors, since ONNX Runtime wants every input of
 * a graph fed. Every output is bound as a plain tensor: TF.js signatures give their
 * outputs as the model computes them, and the APIs shape classify and regress answers
 * from there, as they do for the TF.js runner. When the version cannot be compiled, the
 * result is the reason, for the status and the load log.
 */
export function compileTfjsVersion(version: TfjsVersion): OnnxVersion[] | string {
  const model = version.model;
  if (model.kind === "native") return "SavedModels on native TensorFlow are not compiled to ONNX";
  if (version.parsesExamples) return "the model parses tf.Examples itself";
  const groups = new Map<
    string,
    { feeds: GraphTensor[]; fetches: GraphTensor[]; names: string[] }
  >();
  for (const [name, binding] of version.bindings) {
    if (typeof binding === "string") return `signature ${name} cannot run: ${binding}`;
    // A graph's inputs take any shape, as TF.js feeds a graph whatever broadcasts (the
    // demo's [-1, 1] input answers a list of numbers): ONNX Runtime checks declared ranks.
    const feeds = [...binding.inputs].map(([, b]) => ({ ...b, shape: undefined }));
    const fetches = [...binding.outputs].map(([, b]) => ({ ...b, shape: undefined }));
    const unfit = checkDtypes(model, name, binding, fetches);
    if (unfit) return unfit;
    const key =
      model.kind === "layers" ? "" : [...new Set(feeds.map((f) => f.name))].sort().join("\0");
    const group = groups.get(key) ?? { feeds: [], fetches: [], names: [] };
    group.feeds.push(...feeds.filter((f) => !group.feeds.some((g) => g.name === f.name)));
    group.fetches.push(...fetches.filter((f) => !group.fetches.some((g) => g.name === f.name)));
    group.names.push(name);
    groups.set(key, group);
  }
  const versions: OnnxVersion[] = [];
  for (const group of groups.values()) {
    const compiled: OnnxCompilation =
      model.kind === "layers"
        ? compileLayersModel(model.model)
        : compileGraphModel(model.model as unknown as GraphModelLike, group.feeds, group.fetches);
    if (!compiled.compiled) return compiled.reason;
    const bindings = new Map<string, SignatureBinding>();
    for (const name of group.names) {
      bindings.set(name, onnxBinding(version.bindings.get(name) as TensorBindings));
    }
    versions.push({
      engine: "onnxruntime",
      model: compiled.onnx,
      signatures: version.signatures,
      classLabels: version.classLabels,
      bindings,
      description: { producer: "servable-tfjs-to-onnx" },
    });
  }
  return versions;
}

/** The compiled graphs compute float32 (and take int32 where the model does). */
function checkDtypes(
  model: TfjsModel,
  name: string,
  binding: TensorBindings,
  fetches: readonly GraphTensor[],
): string | undefined {
  if (model.kind === "layers") {
    const tensors = new Map(
      [...model.model.inputs, ...model.model.outputs].map((t) => [t.name, tfjsToDataType(t.dtype)]),
    );
    for (const [key, bound] of [...binding.inputs, ...binding.outputs]) {
      const dtype = tensors.get(bound.name);
      if (dtype !== bound.dtype) {
        return `signature ${name} gives ${key} as ${bound.dtype}, the model's tensor ${bound.name} is ${dtype ?? "not an input or output"}`;
      }
    }
    return undefined;
  }
  // A SavedModel's placeholders refuse feeds of another dtype, as a TensorFlow session does.
  for (const [key, bound] of binding.inputs) {
    if (bound.feedDtype && bound.feedDtype !== bound.dtype) {
      return `signature ${name} gives ${key} as ${bound.dtype}, the graph's placeholder is ${bound.feedDtype}`;
    }
  }
  const other = fetches.find((f) => f.dtype !== "DT_FLOAT");
  return (
    other &&
    `signature ${name} fetches ${other.name} as ${other.dtype}; compiled graphs give DT_FLOAT`
  );
}

function onnxBinding(binding: TensorBindings): SignatureBinding {
  const outputs = new Map<string, OutputBinding>(
    [...binding.outputs].map(([key, bound]) => [key, { fetch: bound.name, role: "tensor" }]),
  );
  const inputs = new Map([...binding.inputs].map(([key, bound]) => [key, bound.name]));
  return { inputs, outputs, classLabels: undefined };
}
