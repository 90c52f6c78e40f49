import { type NodeDef, type SaverDef, tensorFromProto } from "@servable/protocol";
import { calledFunction } from "./call-ops";
import { GraphError } from "./graph-error";
import type { OpRegistry } from "./op-registry";
import { parseBodyRef, parseGraphRef } from "./tensor-ref";

/** Ops whose output is a variable (TF1 reference variables, TF2 resource handles). */
export const VARIABLE_OPS = new Set(["VariableV2", "Variable", "VarHandleOp"]);
const ASSIGN_OPS = new Set(["Assign", "AssignVariableOp"]);
const FORWARDING_OPS = new Set(["Identity", "IdentityN", "Snapshot"]);

/**
 * Which checkpoint tensor each variable is restored from, found the way TF Serving's
 * loader restores them: by following the saver's restore op (`saver_def.restore_op_name`)
 * through its Assign/AssignVariableOp nodes, into the functions it calls (TF2's
 * `__inference__traced_restore_*`), to the RestoreV2 output each variable is assigned
 * from and that output's name in RestoreV2's `tensor_names`. Works alike for TF1
 * (`save/restore_all`) and TF2 SavedModels.
 */
export function checkpointKeys(
  graph: readonly NodeDef[],
  saver: SaverDef | undefined,
  registry: OpRegistry,
): Map<string, string> {
  const keys = new Map<string, string>();
  const restoreOp = saver?.restore_op_name;
  if (!restoreOp) return keys;
  const main = new Scope(new Map(graph.map((n) => [n.name, n])), undefined, registry);
  const start = main.nodes.get(parseGraphRef(restoreOp.replace(/^\^/, "")).node);
  if (!start) return keys;

  const assigns: { scope: Scope; node: NodeDef }[] = [];
  const visit = (scope: Scope, node: NodeDef): void => {
    if (scope.seen.has(node.name)) return;
    scope.seen.add(node.name);
    if (ASSIGN_OPS.has(node.op)) assigns.push({ scope, node });
    const fn = calledFunction(node, registry);
    if (fn !== undefined) {
      const body = registry.functions.get(fn);
      if (body) {
        const args = (body.signature.input_arg ?? []).map((a) => a.name);
        const inputs = (node.input ?? []).filter((r) => !r.startsWith("^"));
        const bindings = new Map<string, Resolved | undefined>(
          args.map((name, i) => [
            name,
            inputs[i] === undefined ? undefined : scope.resolve(inputs[i]!),
          ]),
        );
        const child = new Scope(
          new Map((body.node_def ?? []).map((n) => [n.name, registry.withDefaultAttrs(n)])),
          bindings,
          registry,
        );
        for (const bodyNode of child.nodes.values()) visit(child, bodyNode);
      }
    }
    for (const ref of node.input ?? []) {
      const producer = scope.producerOf(ref);
      if (producer) visit(scope, producer);
    }
  };
  visit(main, start);

  for (const { scope, node } of assigns) {
    const [targetRef, valueRef] = node.input ?? [];
    const target = follow(targetRef === undefined ? undefined : scope.resolve(targetRef));
    const value = follow(valueRef === undefined ? undefined : scope.resolve(valueRef));
    if (!target || !value || target.scope !== main || !VARIABLE_OPS.has(target.node.op)) continue;
    if (value.node.op !== "RestoreV2") continue;
    const [, namesRef, slicesRef] = value.node.input ?? [];
    const names = constStrings(value.scope, namesRef);
    const slices = constStrings(value.scope, slicesRef);
    const key = names?.[value.index];
    if (key === undefined) continue;
    if (slices?.[value.index]) {
      throw new GraphError(
        `variable ${target.node.name} is restored from a slice of "${key}" (a partitioned variable), which is not supported`,
      );
    }
    keys.set(target.node.name, key);
  }
  return keys;
}

interface Resolved {
  scope: Scope;
  node: NodeDef;
  index: number;
}

class Scope {
  readonly seen = new Set<string>();
  readonly #argNames: ReadonlySet<string>;

  constructor(
    readonly nodes: ReadonlyMap<string, NodeDef>,
    private readonly args: ReadonlyMap<string, Resolved | undefined> | undefined,
    private readonly registry: OpRegistry,
  ) {
    this.#argNames = new Set(args?.keys() ?? []);
  }

  #parse(ref: string) {
    return this.args ? parseBodyRef(ref, this.#argNames) : parseGraphRef(ref);
  }

  /** The node a ref reads from in this scope (for the walk), not through arguments. */
  producerOf(ref: string): NodeDef | undefined {
    const parsed = this.#parse(ref);
    return parsed.kind === "arg" ? undefined : this.nodes.get(parsed.node);
  }

  /** The node output a ref names, through function arguments to the caller's tensors. */
  resolve(ref: string): Resolved | undefined {
    const parsed = this.#parse(ref);
    if (parsed.kind === "control") return undefined;
    if (parsed.kind === "arg") return this.args?.get(parsed.name);
    const node = this.nodes.get(parsed.node);
    if (!node) return undefined;
    const index = parsed.outputArg
      ? this.registry.flatOutputIndex(node, parsed.outputArg, parsed.index)
      : parsed.index;
    return { scope: this, node, index };
  }
}

/** Follows Identity-like nodes back to the tensor they forward. */
function follow(start: Resolved | undefined): Resolved | undefined {
  let at = start;
  for (let steps = 0; at && FORWARDING_OPS.has(at.node.op) && steps < 1000; steps++) {
    const inputs = (at.node.input ?? []).filter((r) => !r.startsWith("^"));
    const ref = inputs[at.node.op === "IdentityN" ? at.index : 0];
    at = ref === undefined ? undefined : at.scope.resolve(ref);
  }
  return at;
}

function constStrings(scope: Scope, ref: string | undefined): string[] | undefined {
  const source = follow(ref === undefined ? undefined : scope.resolve(ref));
  const tensor = source?.node.op === "Const" ? source.node.attr?.value?.tensor : undefined;
  if (!tensor) return undefined;
  const value = tensorFromProto(tensor, `node ${source!.node.name}`);
  if (value.dtype !== "DT_STRING") return undefined;
  const decoder = new TextDecoder();
  return (value.data as Uint8Array[]).map((b) => decoder.decode(b));
}
