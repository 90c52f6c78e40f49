import type { NodeDef } from "@servable/protocol";
import type { OpRegistry } from "./op-registry";

/** Ops that call a library function named by their `f` attr. */
const CALL_OPS = new Set(["StatefulPartitionedCall", "PartitionedCall"]);

/** The library function a node calls (a call op, or a node whose op is the function's name). */
export function calledFunction(node: NodeDef, registry: OpRegistry): string | undefined {
  if (CALL_OPS.has(node.op)) return node.attr?.f?.func?.name;
  return registry.functions.has(node.op) ? node.op : undefined;
}
