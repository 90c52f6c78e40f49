/**
 * How a node names the tensors it reads. In a graph: `node` (output 0), `node:2`, and
 * `^node` for a control dependency. In a function body: `arg` (a function input),
 * `node:output_arg:index`, `^node`.
 */
export type GraphRef =
  | { kind: "output"; node: string; index: number; outputArg?: string }
  | { kind: "control"; node: string };
export type TensorRef = GraphRef | { kind: "arg"; name: string };

export function parseGraphRef(ref: string): GraphRef {
  if (ref.startsWith("^")) return { kind: "control", node: ref.slice(1) };
  const parts = ref.split(":");
  if (parts.length === 1) return { kind: "output", node: ref, index: 0 };
  return { kind: "output", node: parts[0]!, index: Number(parts[parts.length - 1]) };
}

export function parseBodyRef(ref: string, args: ReadonlySet<string>): TensorRef {
  if (ref.startsWith("^")) return { kind: "control", node: ref.slice(1) };
  const parts = ref.split(":");
  if (parts.length === 1) {
    return args.has(ref) ? { kind: "arg", name: ref } : { kind: "output", node: ref, index: 0 };
  }
  if (parts.length === 2) return { kind: "output", node: parts[0]!, index: Number(parts[1]) };
  return { kind: "output", node: parts[0]!, outputArg: parts[1]!, index: Number(parts[2]) };
}

/** `node` for output 0, else `node:index`: the form graphs (and TF.js) name tensors by. */
export function graphRef(node: string, index: number): string {
  return index === 0 ? node : `${node}:${index}`;
}

/** The node of a tensor name such as `x:0`. */
export const nodeOfTensor = (tensorName: string): string => parseGraphRef(tensorName).node;
