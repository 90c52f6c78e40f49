import type { NodeDef } from "@servable/protocol";
import { GraphError } from "./graph-error";
import { parseGraphRef } from "./tensor-ref";

/** What one signature runs: the tensors it feeds and the tensors it fetches. */
export interface Subgraph {
  readonly name: string;
  readonly feeds: readonly string[];
  readonly fetches: readonly string[];
}

/** Drops every control input (`^node`): an inference graph has no side effects to order. */
export function stripControlInputs(nodes: readonly NodeDef[]): NodeDef[] {
  return nodes.map((node) =>
    node.input?.some((ref) => ref.startsWith("^"))
      ? { ...node, input: node.input.filter((ref) => !ref.startsWith("^")) }
      : node,
  );
}

const PLACEHOLDERS = new Set(["Placeholder", "PlaceholderWithDefault"]);

/**
 * The nodes the signatures need, in graph order: for each signature, what its fetched
 * tensors are computed from, stopping at the tensors it feeds (TensorFlow computes nothing
 * behind a fed tensor). A fed node whose own inputs no signature needs keeps its name but
 * loses its inputs; `fedWithoutProducers` lists those, to be made Placeholders.
 */
export function pruneToSubgraphs(
  nodes: readonly NodeDef[],
  subgraphs: readonly Subgraph[],
): { nodes: NodeDef[]; fedWithoutProducers: Set<string> } {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const expanded = new Set<string>();
  for (const subgraph of subgraphs) {
    const fed = new Set(subgraph.feeds.map((t) => parseGraphRef(t).node));
    const stack = subgraph.fetches.map((t) => {
      const name = parseGraphRef(t).node;
      if (!byName.has(name)) {
        throw new GraphError(`signature ${subgraph.name} names tensor ${t}, which the graph lacks`);
      }
      return name;
    });
    for (const name of fed) {
      if (!byName.has(name)) {
        throw new GraphError(
          `signature ${subgraph.name} feeds node ${name}, which the graph lacks`,
        );
      }
    }
    const seen = new Set<string>();
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      needed.add(name);
      const node = byName.get(name)!;
      if (fed.has(name) && !PLACEHOLDERS.has(node.op)) continue;
      expanded.add(name);
      for (const ref of node.input ?? []) {
        const producer = parseGraphRef(ref).node;
        if (!byName.has(producer)) {
          throw new GraphError(`node ${name} reads ${ref}, which the graph lacks`);
        }
        stack.push(producer);
      }
    }
  }
  const fedWithoutProducers = new Set(
    [...needed].filter(
      (name) =>
        !expanded.has(name) &&
        (byName.get(name)!.input ?? []).some((ref) => !needed.has(parseGraphRef(ref).node)),
    ),
  );
  return { nodes: nodes.filter((n) => needed.has(n.name)), fedWithoutProducers };
}
