import type * as tf from "@tensorflow/tfjs";
import {
  lengthPrefixedStrings,
  type HostTensor,
  type AttrValue,
  type NodeDef,
  type TensorProto,
  type TensorShapeProto,
} from "@servable/protocol";
import type { FrozenGraph } from "../graph/frozen-graph";
import { GraphError } from "../graph/graph-error";

/**
 * A frozen graph as the in-memory artifacts TF.js's GraphModel loads (what the Python
 * converter writes as model.json and weight shards): the GraphDef in protobuf's JSON
 * form, and every constant as a weight. TF.js holds float32, int32, bool and string, so
 * other dtypes are narrowed: doubles and halves to float32, every integer type to int32
 * (saturating).
 */
export function graphModelArtifacts(graph: FrozenGraph): tf.io.ModelArtifacts {
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  const node = graph.nodes.map((n) => {
    const value = graph.constants.get(n.name);
    if (n.op === "Const" && value) {
      const { spec, bytes } = weight(n.name, value);
      weightSpecs.push(spec);
      chunks.push(bytes);
      return nodeJson({ ...n, attr: { dtype: { type: tfjsDataType(value) } } });
    }
    return nodeJson(n);
  });
  return {
    format: "graph-model",
    modelTopology: { node, versions: { producer: graph.producer } },
    weightSpecs,
    weightData: concat(chunks),
  };
}

const TFJS_DTYPES = {
  float32: "DT_FLOAT",
  int32: "DT_INT32",
  bool: "DT_BOOL",
  string: "DT_STRING",
};

function tfjsDtypeOf(value: HostTensor): keyof typeof TFJS_DTYPES {
  switch (value.dtype) {
    case "DT_FLOAT":
    case "DT_DOUBLE":
    case "DT_HALF":
      return "float32";
    case "DT_BOOL":
      return "bool";
    case "DT_STRING":
      return "string";
    default:
      return "int32";
  }
}

const tfjsDataType = (value: HostTensor): string => TFJS_DTYPES[tfjsDtypeOf(value)];

function weight(
  name: string,
  value: HostTensor,
): { spec: tf.io.WeightsManifestEntry; bytes: Uint8Array } {
  const dtype = tfjsDtypeOf(value);
  const spec: tf.io.WeightsManifestEntry = { name, shape: [...value.shape], dtype };
  if (dtype === "string") return { spec, bytes: lengthPrefixedStrings(value.data as Uint8Array[]) };
  if (dtype === "float32") {
    const data =
      value.data instanceof Float32Array
        ? value.data
        : Float32Array.from(value.data as Float64Array);
    return { spec, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (dtype === "bool") return { spec, bytes: Uint8Array.from(value.data as Uint8Array) };
  const ints = new Int32Array(value.data.length);
  const source = value.data as ArrayLike<number | bigint>;
  for (let i = 0; i < ints.length; i++) {
    const n = Number(source[i]);
    ints[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, n));
  }
  return { spec, bytes: new Uint8Array(ints.buffer) };
}

function concat(parts: readonly Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out.buffer;
}

type Json = Record<string, unknown>;

function nodeJson(node: NodeDef): Json {
  const attr: Json = {};
  for (const [key, value] of Object.entries(node.attr ?? {})) {
    // Attrs starting with "_" are TensorFlow's bookkeeping (shapes, colocation), unread here.
    if (!key.startsWith("_")) attr[key] = attrJson(value, node);
  }
  return { name: node.name, op: node.op, input: node.input ?? [], attr };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

function attrJson(value: AttrValue, node: NodeDef): Json {
  if (value.s !== undefined) return { s: b64(value.s) };
  if (value.i !== undefined) return { i: String(value.i) };
  if (value.f !== undefined) return { f: value.f };
  if (value.b !== undefined) return { b: value.b };
  if (value.type !== undefined) return { type: value.type };
  if (value.shape !== undefined) return { shape: shapeJson(value.shape) };
  if (value.tensor !== undefined) return { tensor: tensorJson(value.tensor) };
  if (value.func !== undefined) return { func: { name: value.func.name ?? "" } };
  if (value.placeholder !== undefined) {
    throw new GraphError(`node ${node.name} has an unbound attr placeholder ${value.placeholder}`);
  }
  const list = value.list ?? {};
  const json: Json = {};
  if (list.s) json.s = list.s.map(b64);
  if (list.i) json.i = list.i.map(String);
  if (list.f) json.f = list.f;
  if (list.b) json.b = list.b;
  if (list.type) json.type = list.type;
  if (list.shape) json.shape = list.shape.map(shapeJson);
  if (list.func) json.func = list.func.map((f) => ({ name: f.name ?? "" }));
  return { list: json };
}

/** Every dim's size written out: TF.js reads a missing one (an int64 0) as NaN. */
function shapeJson(shape: TensorShapeProto): Json {
  if (shape.unknown_rank) return { unknownRank: true };
  return { dim: (shape.dim ?? []).map((d) => ({ size: String(d.size ?? 0) })) };
}

function tensorJson(tensor: TensorProto): Json {
  return { dtype: tensor.dtype ?? "DT_INVALID", tensorShape: shapeJson(tensor.tensor_shape ?? {}) };
}
