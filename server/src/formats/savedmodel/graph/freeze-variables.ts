import type { HostTensor, NodeDef } from "@servable/protocol";
import type { TensorBundle } from "../checkpoint/tensor-bundle";
import { VARIABLE_OPS } from "./checkpoint-keys";
import { GraphError } from "./graph-error";

/**
 * Turns variables into constants holding their checkpoint values (what TensorFlow's
 * convert_variables_to_constants does): each variable node becomes a Const of the same
 * name, and the ops that read resource variables become their plain-tensor forms
 * (ReadVariableOp -> Identity, ResourceGather -> GatherV2, VariableShape -> Shape).
 */
export async function freezeVariables(
  nodes: readonly NodeDef[],
  keys: ReadonlyMap<string, string>,
  checkpoint: TensorBundle | undefined,
): Promise<{ nodes: NodeDef[]; values: Map<string, HostTensor> }> {
  const values = new Map<string, HostTensor>();
  const out: NodeDef[] = [];
  for (const node of nodes) {
    if (VARIABLE_OPS.has(node.op)) {
      const key = keys.get(node.name) ?? (checkpoint?.has(node.name) ? node.name : undefined);
      if (key === undefined || !checkpoint) {
        throw new GraphError(
          `variable ${node.name} (op ${node.op}) has no value in the SavedModel's checkpoint`,
        );
      }
      const value = await checkpoint.read(key);
      values.set(node.name, value);
      out.push({ name: node.name, op: "Const", attr: { dtype: { type: value.dtype } } });
      continue;
    }
    out.push(...readerAsTensorOp(node));
  }
  return { nodes: out, values };
}

function readerAsTensorOp(node: NodeDef): NodeDef[] {
  const attr = node.attr ?? {};
  switch (node.op) {
    case "ReadVariableOp":
      return [
        { name: node.name, op: "Identity", input: node.input, attr: { T: attr.dtype ?? {} } },
      ];
    case "VariableShape":
      return [
        {
          name: node.name,
          op: "Shape",
          input: node.input,
          attr: { T: {}, out_type: attr.out_type ?? { type: "DT_INT32" } },
        },
      ];
    case "ResourceGather": {
      const [params, indices] = node.input ?? [];
      const axis = `${node.name}/axis`;
      return [
        {
          name: axis,
          op: "Const",
          attr: {
            dtype: { type: "DT_INT32" },
            value: { tensor: { dtype: "DT_INT32", tensor_shape: {}, int_val: [0] } },
          },
        },
        {
          name: node.name,
          op: "GatherV2",
          input: [params!, indices!, axis],
          attr: {
            Tparams: attr.dtype ?? {},
            Tindices: attr.Tindices ?? { type: "DT_INT32" },
            Taxis: { type: "DT_INT32" },
            batch_dims: attr.batch_dims ?? { i: "0" },
          },
        },
      ];
    }
    default:
      return [node];
  }
}
