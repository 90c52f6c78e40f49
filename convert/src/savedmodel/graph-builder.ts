import {
  type HostTensor,
  type AttrValue,
  type NodeDef,
  type OpDef,
  tensorToProto,
} from "@servable/protocol";
import { opDef } from "./op-defs";

/**
 * Builds a GraphDef node by node under TensorFlow's rules: node names unique and in
 * TensorFlow's alphabet, every attr the op requires present, attrs equal to their OpDef
 * default left out, and a record of the ops used (the MetaGraph's stripped op list).
 */
export class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  readonly #names = new Set<string>();
  readonly #ops = new Map<string, OpDef>();

  /** Adds a node and returns its output 0's name (`name`, as graphs write it). */
  add(
    name: string,
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
  ): string {
    const def = opDef(op);
    this.#ops.set(op, def);
    const attr: Record<string, AttrValue> = {};
    for (const a of def.attr ?? []) {
      const value = attrs[a.name];
      if (value === undefined) {
        if (!a.default_value) throw new Error(`${op} node ${name} needs attr ${a.name}`);
        continue;
      }
      if (!a.default_value || !sameAttr(value, a.default_value)) attr[a.name] = value;
    }
    for (const key of Object.keys(attrs)) {
      if (!def.attr?.some((a) => a.name === key)) throw new Error(`${op} has no attr ${key}`);
    }
    const unique = this.uniqueName(name);
    this.nodes.push({ name: unique, op, input: [...inputs], attr });
    return unique;
  }

  /** A Const node holding `value`. */
  constant(name: string, value: HostTensor): string {
    return this.add(name, "Const", [], constAttrs(value));
  }

  int32s(name: string, values: readonly number[], shape = [values.length]): string {
    return this.constant(name, { dtype: "DT_INT32", shape, data: Int32Array.from(values) });
  }

  /** `name`, or `name_1`, `name_2`... when taken; characters TensorFlow refuses become `_`. */
  uniqueName(name: string): string {
    let base = name.replace(/[^A-Za-z0-9_./-]/g, "_").replace(/-/g, "_");
    if (!/^[A-Za-z0-9.]/.test(base)) base = `n${base}`;
    let candidate = base;
    for (let i = 1; this.#names.has(candidate); i++) candidate = `${base}_${i}`;
    this.#names.add(candidate);
    return candidate;
  }

  get opList(): OpDef[] {
    return [...this.#ops.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** A Const node holding `value`, as it stands in a GraphDef. */
export function constNode(name: string, value: HostTensor): NodeDef {
  return { name, op: "Const", input: [], attr: constAttrs(value) };
}

function constAttrs(value: HostTensor): Record<string, AttrValue> {
  return { dtype: { type: value.dtype }, value: { tensor: tensorToProto(value) } };
}

function sameAttr(a: AttrValue, b: AttrValue): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(value: AttrValue): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      v instanceof Uint8Array
        ? Buffer.from(v).toString("base64")
        : typeof v === "number"
          ? String(v)
          : v,
    ),
  );
}
