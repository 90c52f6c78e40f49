import { compileLayersModel, tfjsToDataType } from "@servable/convert";
import type { OnnxVersion, TfjsVersion } from "../../formats/loaded-version";
import type { OutputBinding, SignatureBinding } from "../../formats/onnx/onnx-signatures";

/**
 * A TF.js version as an ONNX version: its layers model compiled to an ONNX graph whose
 * inputs and outputs carry the model's tensor names, bound to the same signatures, so
 * metadata, classify and regress, batching and replicas see the same version whichever
 * engine runs it. Every output is bound as a plain tensor: TF.js signatures give their
 * outputs as the model computes them, and the APIs shape classify and regress answers
 * from there, as they do for the TF.js runner. When the version cannot be compiled, the
 * result is the reason, for the status and the load log.
 */
export function compileTfjsVersion(version: TfjsVersion): OnnxVersion | string {
  const model = version.model;
  if (model.kind === "graph") return "TF.js graph models are not compiled to ONNX";
  if (model.kind === "native") return "SavedModels on native TensorFlow are not compiled to ONNX";
  if (version.parsesExamples) return "the model parses tf.Examples itself";
  const tensors = new Map(
    [...model.model.inputs, ...model.model.outputs].map((t) => [t.name, tfjsToDataType(t.dtype)]),
  );
  const bindings = new Map<string, SignatureBinding>();
  for (const [name, binding] of version.bindings) {
    if (typeof binding === "string") return `signature ${name} cannot run: ${binding}`;
    for (const [key, bound] of [...binding.inputs, ...binding.outputs]) {
      const dtype = tensors.get(bound.name);
      if (dtype !== bound.dtype) {
        return `signature ${name} gives ${key} as ${bound.dtype}, the model's tensor ${bound.name} is ${dtype ?? "not an input or output"}`;
      }
    }
    const outputs = new Map<string, OutputBinding>(
      [...binding.outputs].map(([key, bound]) => [key, { fetch: bound.name, role: "tensor" }]),
    );
    const inputs = new Map([...binding.inputs].map(([key, bound]) => [key, bound.name]));
    bindings.set(name, { inputs, outputs, classLabels: undefined });
  }
  const compiled = compileLayersModel(model.model);
  if (!compiled.compiled) return compiled.reason;
  return {
    engine: "onnxruntime",
    model: compiled.onnx,
    signatures: version.signatures,
    classLabels: version.classLabels,
    bindings,
    description: { producer: "servable-tfjs-to-onnx" },
  };
}
