import type { SignatureDef, SignatureDefMap, TensorInfo } from "@servable/protocol";
import { protobufJson } from "./model-status";

/**
 * The body of GET /v1/models/{name}[/versions/{v}]/metadata: the version's
 * SignatureDefs as TF Serving prints GetModelMetadataResponse (fields in its order,
 * `defaults` always present).
 */
export function modelMetadataBody(
  name: string,
  version: number,
  signatures: SignatureDefMap,
): string {
  const signatureDef: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(signatures.signature_def))
    signatureDef[key] = printable(def);
  return protobufJson({
    model_spec: { name, signature_name: "", version: String(version) },
    metadata: { signature_def: { signature_def: signatureDef } },
  });
}

function printable(def: SignatureDef): unknown {
  return {
    inputs: mapValues(def.inputs, printableTensor),
    outputs: mapValues(def.outputs, printableTensor),
    method_name: def.method_name,
    defaults: def.defaults ?? {},
  };
}

const printableTensor = (info: TensorInfo) => ({
  dtype: info.dtype,
  tensor_shape: {
    dim: info.tensor_shape.dim.map((d) => ({ size: d.size, name: d.name })),
    unknown_rank: info.tensor_shape.unknown_rank,
  },
  name: info.name,
});

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
