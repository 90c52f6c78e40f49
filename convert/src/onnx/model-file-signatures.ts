import { badModel, type SignatureFile, decodeModel } from "@servable/protocol";
import { deriveExampleSignature, deriveOnnxSignatures } from "./derive-signatures";
import { describeGraph } from "./onnx-graph";
import { findZipMapOutputs } from "./zipmap";

/**
 * The signature file to write beside an ONNX model brought into a model repository:
 * `serving_default`, plus `classify` or `regress` when the model's outputs come straight
 * from an ai.onnx.ml classifier or regressor (with the classifier's labels). Reads the
 * graph only; it does not run the model.
 */
export function signaturesOfModelFile(bytes: Uint8Array): SignatureFile {
  let graph;
  try {
    graph = describeGraph(decodeModel(bytes));
  } catch (error) {
    throw badModel(`Not an ONNX model: ${(error as Error).message}`);
  }
  if (graph.outputs.length === 0) throw badModel("Not an ONNX model: its graph has no outputs");
  const unzipped = findZipMapOutputs(graph);
  const file: SignatureFile = deriveOnnxSignatures(graph, unzipped);
  const example = deriveExampleSignature(graph, unzipped);
  if (example) {
    file.signature_def[example.name] = example.signature;
    if (example.classLabels) file.class_labels = { [example.name]: [...example.classLabels] };
  }
  return file;
}
