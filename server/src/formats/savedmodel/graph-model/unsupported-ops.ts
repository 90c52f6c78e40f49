import type * as tf from "@tensorflow/tfjs";

/** A node of a loaded graph that the TF.js runtime has no kernel mapping for. */
export interface UnsupportedNode {
  readonly op: string;
  readonly node: string;
}

interface MappedNode {
  name: string;
  op: string;
  category?: string;
}

interface MappedGraph {
  nodes?: Record<string, MappedNode>;
  functions?: Record<string, MappedGraph>;
}

/**
 * The nodes of a loaded GraphModel whose op TF.js cannot execute. TF.js reports such an
 * op only when a request reaches it; its graph mapper leaves the op without a category,
 * which is read here (GraphModel keeps its mapped graph in `executor.graph`) so that the
 * version fails when it loads instead. Returns undefined when that structure is not
 * there (another TF.js version): the op is then named when it runs.
 */
export function unsupportedNodes(model: tf.GraphModel): UnsupportedNode[] | undefined {
  const graph = (model as unknown as { executor?: { graph?: MappedGraph } }).executor?.graph;
  if (!graph?.nodes) return undefined;
  const found: UnsupportedNode[] = [];
  const visit = (g: MappedGraph, prefix: string) => {
    for (const node of Object.values(g.nodes ?? {})) {
      if (node.category === undefined) found.push({ op: node.op, node: prefix + node.name });
    }
    for (const [name, fn] of Object.entries(g.functions ?? {})) visit(fn, `${prefix}${name}/`);
  };
  visit(graph, "");
  return found;
}
