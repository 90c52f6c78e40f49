import {
  int64ToNumber,
  type Attribute,
  type ModelProto,
  type NodeProto,
  type TensorShapeDim,
  type TypeProto,
  type ValueInfo,
} from "@servable/protocol";

/**
 * The interface of an ONNX graph as a caller sees it: the inputs it must be fed (graph
 * inputs that are not initializers), its outputs, and the nodes that produce them.
 */
export interface GraphInterface {
  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];
  readonly nodes: readonly NodeProto[];
}

/** One dimension: its size (-1 when free) and its symbolic name ("batch") when it has one. */
export interface GraphDim {
  readonly size: number;
  readonly name: string;
}

export type GraphValue =
  | {
      readonly name: string;
      readonly kind: "tensor";
      readonly elemType: number;
      /** Undefined when the rank itself is unknown. */
      readonly dims: readonly GraphDim[] | undefined;
    }
  | {
      readonly name: string;
      /** Values that are not tensors: sequences (ZipMap's output), maps, optionals. */
      readonly kind: "sequence" | "map" | "optional" | "sparse_tensor" | "unknown";
    };

export function describeGraph(model: ModelProto): GraphInterface {
  const graph = model.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  return {
    // IR < 4 lists every initializer among the inputs too; those need no feed.
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name ?? "")).map(describeValue),
    outputs: (graph.output ?? []).map(describeValue),
    nodes: graph.node ?? [],
  };
}

function describeValue(info: ValueInfo): GraphValue {
  const name = info.name ?? "";
  const type: TypeProto = info.type ?? {};
  if (type.tensorType) {
    const shape = type.tensorType.shape;
    return {
      name,
      kind: "tensor",
      elemType: type.tensorType.elemType ?? 0,
      dims: shape ? (shape.dim ?? []).map(describeDim) : undefined,
    };
  }
  if (type.sequenceType) return { name, kind: "sequence" };
  if (type.mapType) return { name, kind: "map" };
  if (type.optionalType) return { name, kind: "optional" };
  if (type.sparseTensorType) return { name, kind: "sparse_tensor" };
  return { name, kind: "unknown" };
}

function describeDim(dim: TensorShapeDim): GraphDim {
  // protobufjs names the field a oneof holds in `value`; unset fields read as defaults.
  if (dim.value === "dimValue") {
    const size = int64ToNumber(dim.dimValue);
    return { size: size > 0 ? size : -1, name: "" };
  }
  return { size: -1, name: dim.value === "dimParam" ? (dim.dimParam ?? "") : "" };
}

/** The node whose outputs include `name`, if a node (not an input or initializer) makes it. */
export function producerOf(graph: GraphInterface, name: string): NodeProto | undefined {
  return graph.nodes.find((n) => (n.output ?? []).includes(name));
}

export function isMlDomain(node: NodeProto): boolean {
  return node.domain === "ai.onnx.ml";
}

function attribute(node: NodeProto, name: string): Attribute | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attributeInts(node: NodeProto, name: string): number[] | undefined {
  const ints = attribute(node, name)?.ints;
  return ints && ints.length > 0 ? ints.map(int64ToNumber) : undefined;
}

export function attributeStrings(node: NodeProto, name: string): string[] | undefined {
  const strings = attribute(node, name)?.strings;
  const decoder = new TextDecoder();
  return strings && strings.length > 0 ? strings.map((s) => decoder.decode(s)) : undefined;
}

/**
 * The class labels an ai.onnx.ml classifier or ZipMap node declares, as text, in the
 * order of its probability columns.
 */
export function classLabelsOf(node: NodeProto): string[] | undefined {
  return (
    attributeStrings(node, "classlabels_strings") ??
    attributeInts(node, "classlabels_int64s")?.map(String) ??
    attributeInts(node, "classlabels_ints")?.map(String)
  );
}

/** The ai.onnx.ml operators whose first output is the predicted label, second the scores. */
export const CLASSIFIER_OPS: ReadonlySet<string> = new Set([
  "TreeEnsembleClassifier",
  "LinearClassifier",
  "SVMClassifier",
]);
