import type { ArgDef, AttrValue, FunctionDef, NodeDef, OpDef } from "@servable/protocol";
import { GraphError } from "./graph-error";

/**
 * The OpDefs a graph's nodes are read with: those the MetaGraph carries
 * (`stripped_op_list`), and the library's functions, which nodes may call as ops. An
 * OpDef says how a node's outputs are laid out (`node:output_arg:index` inside function
 * bodies), its output dtypes, and the attrs writers may have left out as defaults.
 */
export class OpRegistry {
  readonly #ops = new Map<string, OpDef>();
  readonly functions = new Map<string, FunctionDef>();

  constructor(ops: readonly OpDef[], functions: readonly FunctionDef[]) {
    for (const op of ops) this.#ops.set(op.name, op);
    for (const fn of functions) {
      this.functions.set(fn.signature.name, fn);
      this.#ops.set(fn.signature.name, fn.signature);
    }
  }

  opDef(op: string): OpDef | undefined {
    return this.#ops.get(op);
  }

  /** The node with every attr its OpDef defaults and the node leaves out. */
  withDefaultAttrs(node: NodeDef): NodeDef {
    const def = this.#ops.get(node.op);
    if (!def?.attr) return node;
    const missing = def.attr.filter((a) => a.default_value && !(node.attr && a.name in node.attr));
    if (missing.length === 0) return node;
    const attr = { ...node.attr };
    for (const a of missing) attr[a.name] = a.default_value!;
    return { ...node, attr };
  }

  /** Each output arg of a node with the number of tensors it stands for. */
  outputLayout(node: NodeDef): { arg: ArgDef; count: number }[] {
    const def = this.#ops.get(node.op);
    if (!def) throw new GraphError(`no OpDef for op ${node.op} (node ${node.name})`);
    return (def.output_arg ?? []).map((arg) => ({ arg, count: argCount(arg, node) }));
  }

  /** The flat output index of `output_arg:index` (the form function bodies name outputs in). */
  flatOutputIndex(node: NodeDef, outputArg: string, index: number): number {
    let base = 0;
    for (const { arg, count } of this.outputLayout(node)) {
      if (arg.name === outputArg) {
        if (index >= count) {
          throw new GraphError(`node ${node.name} has no output ${outputArg}:${index}`);
        }
        return base + index;
      }
      base += count;
    }
    throw new GraphError(`node ${node.name} (op ${node.op}) has no output arg ${outputArg}`);
  }

  /** The DataType name of a node's flat output `index`, when its OpDef tells it. */
  outputDataType(node: NodeDef, index: number): string | undefined {
    let base = 0;
    for (const { arg, count } of this.outputLayout(node)) {
      if (index < base + count) {
        if (arg.type && arg.type !== "DT_INVALID") return arg.type;
        if (arg.type_attr) return node.attr?.[arg.type_attr]?.type;
        if (arg.type_list_attr) return node.attr?.[arg.type_list_attr]?.list?.type?.[index - base];
        return undefined;
      }
      base += count;
    }
    return undefined;
  }
}

function argCount(arg: ArgDef, node: NodeDef): number {
  if (arg.number_attr) return Number(attrOf(node, arg.number_attr).i ?? 0);
  if (arg.type_list_attr) return attrOf(node, arg.type_list_attr).list?.type?.length ?? 0;
  return 1;
}

function attrOf(node: NodeDef, name: string): AttrValue {
  const value = node.attr?.[name];
  if (!value) throw new GraphError(`node ${node.name} (op ${node.op}) lacks attr ${name}`);
  return value;
}
