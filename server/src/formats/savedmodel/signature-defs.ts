import type {
  DataType,
  SignatureDef,
  SignatureDefMap,
  TensorInfo,
  SignatureDefProto,
  TensorInfoProto,
  TensorProto,
  TensorShapeProto,
} from "@servable/protocol";
import type { Subgraph } from "./graph/prune";

/**
 * A MetaGraph's SignatureDefs in the JSON shape TF Serving's metadata endpoint prints
 * (proto field names, int64 as strings), and what each one runs.
 *
 * Two departures, forced by the shared TensorInfo type: a TensorInfo that records no
 * shape at all (TF 1.0 wrote such) prints as `{"dim": [], "unknown_rank": true}`, where
 * TF Serving omits `tensor_shape`; and a TensorInfo naming a sparse or composite tensor
 * prints with an empty name.
 */
export function signatureDefMap(protos: Record<string, SignatureDefProto>): SignatureDefMap {
  const signature_def: Record<string, SignatureDef> = {};
  for (const [name, proto] of Object.entries(protos)) {
    signature_def[name] = {
      inputs: mapValues(proto.inputs ?? {}, tensorInfo),
      outputs: mapValues(proto.outputs ?? {}, tensorInfo),
      method_name: proto.method_name ?? "",
      defaults: mapValues(proto.defaults ?? {}, tensorProtoJson),
    };
  }
  return { signature_def };
}

/** The signature TF 2's SavedModels carry for their init op: no tensors to run. */
export const INIT_OP_SIGNATURE = "__saved_model_init_op";

/**
 * What each signature feeds and fetches, by tensor name; signatures that cannot run
 * (the init op's, sparse or composite tensors) map to the reason.
 */
export function signatureSubgraphs(
  protos: Record<string, SignatureDefProto>,
): Map<string, Subgraph | string> {
  const result = new Map<string, Subgraph | string>();
  for (const [name, proto] of Object.entries(protos)) {
    if (name === INIT_OP_SIGNATURE) {
      result.set(
        name,
        `Signature ${name} runs the model's initialization and has no tensors to predict with`,
      );
      continue;
    }
    const infos = [...Object.values(proto.inputs ?? {}), ...Object.values(proto.outputs ?? {})];
    if (infos.some((info) => info.name === undefined || info.name === "")) {
      result.set(
        name,
        `Signature ${name} uses sparse or composite tensors, which Servable cannot feed or fetch`,
      );
      continue;
    }
    const fetches = Object.values(proto.outputs ?? {}).map((i) => i.name!);
    if (fetches.some((f) => !f.includes(":"))) {
      result.set(name, `Signature ${name} names an operation, not a tensor, as its output`);
      continue;
    }
    result.set(name, {
      name,
      feeds: Object.values(proto.inputs ?? {}).map((i) => i.name!),
      fetches,
    });
  }
  return result;
}

function tensorInfo(proto: TensorInfoProto): TensorInfo {
  return {
    dtype: (proto.dtype ?? "DT_INVALID") as DataType,
    tensor_shape: shapeJson(proto.tensor_shape),
    name: proto.name ?? "",
  };
}

function shapeJson(shape: TensorShapeProto | undefined): TensorInfo["tensor_shape"] {
  if (!shape) return { dim: [], unknown_rank: true };
  return {
    dim: (shape.dim ?? []).map((d) => ({ size: String(d.size ?? 0), name: d.name ?? "" })),
    unknown_rank: shape.unknown_rank ?? false,
  };
}

/** A TensorProto as protobuf's JSON printer writes it with every field shown. */
function tensorProtoJson(proto: TensorProto): Record<string, unknown> {
  const base64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString("base64");
  return {
    dtype: proto.dtype ?? "DT_INVALID",
    ...(proto.tensor_shape && { tensor_shape: shapeJson(proto.tensor_shape) }),
    version_number: proto.version_number ?? 0,
    tensor_content: base64(proto.tensor_content),
    half_val: proto.half_val ?? [],
    float_val: proto.float_val ?? [],
    double_val: proto.double_val ?? [],
    int_val: proto.int_val ?? [],
    string_val: (proto.string_val ?? []).map(base64),
    scomplex_val: proto.scomplex_val ?? [],
    int64_val: (proto.int64_val ?? []).map(String),
    bool_val: proto.bool_val ?? [],
    dcomplex_val: proto.dcomplex_val ?? [],
    resource_handle_val: [],
    variant_val: [],
    uint32_val: proto.uint32_val ?? [],
    uint64_val: (proto.uint64_val ?? []).map(String),
  };
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
