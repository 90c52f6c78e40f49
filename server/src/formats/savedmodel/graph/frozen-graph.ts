import {
  type HostTensor,
  type MetaGraphDef,
  type NodeDef,
  tensorFromProto,
  TensorValueError,
} from "@servable/protocol";
import type { TensorBundle } from "../checkpoint/tensor-bundle";
import { checkpointKeys, VARIABLE_OPS } from "./checkpoint-keys";
import { freezeVariables } from "./freeze-variables";
import { GraphError } from "./graph-error";
import { inlineFunctionCalls } from "./inline-functions";
import { OpRegistry } from "./op-registry";
import { pruneToSubgraphs, stripControlInputs, type Subgraph } from "./prune";
import { parseGraphRef } from "./tensor-ref";

/**
 * A MetaGraph made runnable without a TensorFlow session: function calls inlined,
 * variables frozen into constants from the checkpoint, control dependencies dropped, and
 * only the nodes the signatures need kept. Constants' values are held apart from the
 * nodes (TF.js takes them as weights).
 */
export interface FrozenGraph {
  readonly nodes: readonly NodeDef[];
  readonly constants: ReadonlyMap<string, HostTensor>;
  /** The GraphDef's `versions.producer`. */
  readonly producer: number;
  /** The dtype (DataType name) each fed tensor has in the graph, by tensor name. */
  readonly feedTypes: ReadonlyMap<string, string>;
}

export async function freezeMetaGraph(
  metaGraph: MetaGraphDef,
  subgraphs: readonly Subgraph[],
  checkpoint: () => Promise<TensorBundle | undefined>,
): Promise<FrozenGraph> {
  const graph = metaGraph.graph_def ?? {};
  const registry = new OpRegistry(
    metaGraph.meta_info_def?.stripped_op_list?.op ?? [],
    graph.library?.function ?? [],
  );
  const original = (graph.node ?? []).map((n) => registry.withDefaultAttrs(n));
  const keys = checkpointKeys(original, metaGraph.saver_def, registry);
  const inlined = stripControlInputs(inlineFunctionCalls(original, registry));
  const pruned = pruneToSubgraphs(inlined, subgraphs);
  pruned.nodes.forEach(checkRunnable);
  const feedTypes = feedDataTypes(pruned.nodes, subgraphs, registry);
  const hasVariables = pruned.nodes.some((n) => VARIABLE_OPS.has(n.op));
  const frozen = await freezeVariables(
    pruned.nodes,
    keys,
    hasVariables ? await checkpoint() : undefined,
  );
  const producer = graph.versions?.producer ?? 0;
  const constants = new Map(frozen.values);
  const nodes = frozen.nodes.map((node) => {
    if (pruned.fedWithoutProducers.has(node.name)) {
      return placeholderFor(node, feedTypes);
    }
    if (node.op === "Const" && !constants.has(node.name)) {
      constants.set(node.name, constantValue(node));
      return { name: node.name, op: "Const", attr: { dtype: node.attr?.dtype ?? {} } };
    }
    if (node.op === "Placeholder" || node.op === "PlaceholderWithDefault") {
      return withoutShape(node);
    }
    return node;
  });
  return { nodes, constants, producer, feedTypes };
}

const TABLE_OPS = /^(HashTable|MutableHashTable|MutableDenseHashTable|AnonymousHashTable)/;

/**
 * Refuses what the frozen graph would run wrongly: lookup tables (the init op that fills
 * them is not run, so every lookup would miss) and ops that call functions (TF 2 control
 * flow: If, While and their stateless forms), whose bodies are not carried over.
 */
function checkRunnable(node: NodeDef): void {
  if (TABLE_OPS.test(node.op)) {
    throw new GraphError(
      `node ${node.name} (op ${node.op}) is a lookup table, filled by the model's init op, which Servable's reader does not run`,
    );
  }
  const calls = Object.values(node.attr ?? {}).some((v) => v.func || v.list?.func?.length);
  if (calls) {
    throw new GraphError(
      `node ${node.name} (op ${node.op}) calls functions (TF 2 control flow), which Servable's reader does not support`,
    );
  }
}

function constantValue(node: NodeDef): HostTensor {
  const tensor = node.attr?.value?.tensor;
  if (!tensor) throw new GraphError(`Const node ${node.name} has no value`);
  try {
    return tensorFromProto(tensor, `Const node ${node.name}`);
  } catch (error) {
    if (error instanceof TensorValueError) throw new GraphError(error.message);
    throw error;
  }
}

/**
 * TensorFlow does not check a fed tensor against its placeholder's shape, and TF.js does:
 * the shape goes, so that every feed TF Serving accepts is accepted. (Graphs of producer
 * <= 21, such as TF 1.0's, even wrote "unknown" as an empty shape.)
 */
function withoutShape(node: NodeDef): NodeDef {
  if (!node.attr?.shape) return node;
  const attr = { ...node.attr };
  delete attr.shape;
  return { ...node, attr };
}

function placeholderFor(node: NodeDef, feedTypes: ReadonlyMap<string, string>): NodeDef {
  const type = feedTypes.get(`${node.name}:0`) ?? feedTypes.get(node.name);
  if (!type) throw new GraphError(`cannot tell the dtype of fed node ${node.name}`);
  return { name: node.name, op: "Placeholder", attr: { dtype: { type } } };
}

function feedDataTypes(
  nodes: readonly NodeDef[],
  subgraphs: readonly Subgraph[],
  registry: OpRegistry,
): Map<string, string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const types = new Map<string, string>();
  for (const subgraph of subgraphs) {
    for (const tensor of subgraph.feeds) {
      const ref = parseGraphRef(tensor);
      if (ref.kind !== "output") continue;
      const node = byName.get(ref.node);
      const type = node && outputType(node, ref.index, registry);
      if (type) types.set(tensor, type);
    }
  }
  return types;
}

function outputType(node: NodeDef, index: number, registry: OpRegistry): string | undefined {
  if (node.op === "IdentityN") return node.attr?.T?.list?.type?.[index];
  if (registry.opDef(node.op)) return registry.outputDataType(node, index);
  return node.attr?.dtype?.type ?? node.attr?.T?.type;
}
