import type { NodeDef } from "@servable/protocol";
import { calledFunction } from "./call-ops";
import { GraphError } from "./graph-error";
import type { OpRegistry } from "./op-registry";
import { graphRef, parseBodyRef } from "./tensor-ref";

/** Deeper than this, a chain of calls is taken for recursion. */
const MAX_CALL_DEPTH = 64;

/**
 * Replaces every function call (StatefulPartitionedCall, PartitionedCall, or a node whose
 * op is a library function) by the function's body, as TensorFlow's function inlining
 * does: body nodes are renamed `<call>/<node>`, function inputs become the caller's
 * inputs, outputs named `node:output_arg:index` become flat `node:k`, and the call
 * itself becomes an IdentityN of the function's results, so `<call>:k` still names
 * result k. Nested calls are inlined in turn. Control dependencies inside bodies are
 * dropped: an inference graph has no side effects to order.
 */
export function inlineFunctionCalls(nodes: readonly NodeDef[], registry: OpRegistry): NodeDef[] {
  const out: NodeDef[] = [];
  const queue: { node: NodeDef; depth: number }[] = nodes.map((node) => ({ node, depth: 0 }));
  for (let i = 0; i < queue.length; i++) {
    const { node, depth } = queue[i]!;
    const name = calledFunction(node, registry);
    if (name === undefined) {
      out.push(node);
      continue;
    }
    if (depth >= MAX_CALL_DEPTH) {
      throw new GraphError(
        `node ${node.name}: calls nest deeper than ${MAX_CALL_DEPTH} (recursion?)`,
      );
    }
    const { body, result } = expandCall(node, name, registry);
    out.push(result);
    for (const bodyNode of body) queue.push({ node: bodyNode, depth: depth + 1 });
  }
  return out;
}

function expandCall(
  call: NodeDef,
  functionName: string,
  registry: OpRegistry,
): { body: NodeDef[]; result: NodeDef } {
  const fn = registry.functions.get(functionName);
  if (!fn) throw new GraphError(`node ${call.name} calls ${functionName}, which the library lacks`);
  const args = fn.signature.input_arg ?? [];
  if (args.some((a) => a.number_attr || a.type_list_attr)) {
    throw new GraphError(`function ${functionName} takes list arguments, which are not supported`);
  }
  const callerInputs = (call.input ?? []).filter((ref) => !ref.startsWith("^"));
  if (callerInputs.length !== args.length) {
    throw new GraphError(
      `node ${call.name} passes ${callerInputs.length} inputs to ${functionName}, which takes ${args.length}`,
    );
  }
  const argNames = new Set(args.map((a) => a.name));
  const argValues = new Map(args.map((a, i) => [a.name, callerInputs[i]!]));
  const bodyNodes = new Map(
    (fn.node_def ?? []).map((n) => [n.name, registry.withDefaultAttrs(n)] as const),
  );
  const prefix = `${call.name}/`;
  const resolve = (ref: string): string | undefined => {
    const parsed = parseBodyRef(ref, argNames);
    if (parsed.kind === "control") return undefined;
    if (parsed.kind === "arg") return argValues.get(parsed.name)!;
    const producer = bodyNodes.get(parsed.node);
    if (!producer) throw new GraphError(`function ${functionName} reads ${ref}, which it lacks`);
    const index = parsed.outputArg
      ? registry.flatOutputIndex(producer, parsed.outputArg, parsed.index)
      : parsed.index;
    return graphRef(prefix + parsed.node, index);
  };

  const body: NodeDef[] = [];
  for (const node of bodyNodes.values()) {
    const placeholder = Object.entries(node.attr ?? {}).find(([, v]) => v.placeholder);
    if (placeholder) {
      throw new GraphError(
        `function ${functionName} is polymorphic (node ${node.name} attr ${placeholder[0]}), which is not supported`,
      );
    }
    body.push({
      ...node,
      name: prefix + node.name,
      input: (node.input ?? []).map(resolve).filter((r): r is string => r !== undefined),
    });
  }

  const outputs = fn.signature.output_arg ?? [];
  const inputs = outputs.map((arg) => {
    const ret = fn.ret?.[arg.name];
    if (ret === undefined) throw new GraphError(`function ${functionName} returns no ${arg.name}`);
    return resolve(ret)!;
  });
  const types = call.attr?.Tout?.list?.type ?? outputs.map((a) => a.type ?? "DT_INVALID");
  const result: NodeDef = {
    name: call.name,
    op: "IdentityN",
    input: inputs,
    attr: { T: { list: { type: types } } },
  };
  return { body, result };
}
