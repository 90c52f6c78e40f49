import { Writer } from "protobufjs/minimal";
import { ElementType, encodeGraph } from "@servable/protocol";
import { classLabelsOf, isMlDomain, producerOf, type GraphInterface } from "./onnx-graph";

/**
 * ZipMap outputs. scikit-learn classifiers converted to ONNX end in an ai.onnx.ml ZipMap
 * node: their probabilities come out as a sequence of {label: probability} maps, one per
 * example, which onnxruntime-node cannot return ("Non tensor type is temporarily not
 * supported"). The tensor the ZipMap zips is the [N, classes] probability matrix: a
 * ZipMap output is served as that tensor, its columns in the order of the ZipMap's labels.
 */
export interface UnzippedOutput {
  /** The graph output the ZipMap writes (what signatures name). */
  readonly output: string;
  /** The [N, classes] float tensor the ZipMap reads (what the runtime fetches instead). */
  readonly tensor: string;
  readonly labels: readonly string[];
}

export function findZipMapOutputs(graph: GraphInterface): UnzippedOutput[] {
  const unzipped: UnzippedOutput[] = [];
  for (const output of graph.outputs) {
    if (output.kind === "tensor") continue;
    const node = producerOf(graph, output.name);
    if (!node || node.opType !== "ZipMap" || !isMlDomain(node)) continue;
    const tensor = node.input?.[0];
    const labels = classLabelsOf(node);
    if (tensor && labels) unzipped.push({ output: output.name, tensor, labels });
  }
  return unzipped;
}

/** Field 7 of ModelProto (graph), length-delimited. */
const GRAPH_FIELD_TAG = (7 << 3) | 2;

/**
 * The model with each ZipMap's input tensor added to the graph outputs. Protobuf merges
 * a repeated embedded message field by appending, so appending a second `graph` holding
 * only the new outputs changes nothing else: every byte of the original model stays as it
 * was, and a model of gigabytes is not decoded and written again.
 */
export function exposeZipMapInputs(
  modelBytes: Uint8Array,
  unzipped: readonly UnzippedOutput[],
  existingOutputs: ReadonlySet<string>,
): Uint8Array {
  const added = unzipped
    .filter((u) => !existingOutputs.has(u.tensor))
    .map((u) => ({ name: u.tensor, type: { tensorType: { elemType: ElementType.FLOAT } } }));
  if (added.length === 0) return modelBytes;
  const extra = Writer.create()
    .uint32(GRAPH_FIELD_TAG)
    .bytes(encodeGraph({ output: added }))
    .finish();
  const out = new Uint8Array(modelBytes.byteLength + extra.byteLength);
  out.set(modelBytes, 0);
  out.set(extra, modelBytes.byteLength);
  return out;
}
