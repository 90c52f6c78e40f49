import * as tf from "@tensorflow/tfjs";
import {
  invalidArgument,
  type NodeDef,
  decodeMessage,
  type FeatureProto,
} from "@servable/protocol";
import { GraphError } from "../graph/graph-error";

/**
 * TensorFlow's ParseExample and ParseExampleV2 as TF.js custom ops, for dense features
 * (tf.io.FixedLenFeature) with or without defaults: what a classify or regress signature
 * runs on the serialized tf.Examples it is fed. Sparse and ragged features, and
 * variable-length dense ones, are refused when the model loads (checkParseExampleNode).
 * Errors carry TensorFlow's texts.
 */
export const PARSE_EXAMPLE_OPS = new Set(["ParseExample", "ParseExampleV2"]);

let registered = false;

/** Registers the ops with TF.js once per thread (TF.js keeps custom ops globally). */
export function registerParseExampleOps(): void {
  if (registered) return;
  tf.registerOp("ParseExample", (node) => parseDense(node, "ParseExample"));
  tf.registerOp("ParseExampleV2", (node) => parseDense(node, "ParseExampleV2"));
  registered = true;
}

/** Refuses, at load time, the parse specs the ops cannot run. */
export function checkParseExampleNode(node: NodeDef): void {
  const attr = node.attr ?? {};
  const sparse =
    node.op === "ParseExample" ? Number(attr.Nsparse?.i ?? 0) : Number(attr.num_sparse?.i ?? 0);
  const ragged = attr.ragged_value_types?.list?.type?.length ?? 0;
  if (sparse > 0 || ragged > 0) {
    throw new GraphError(
      `node ${node.name} (op ${node.op}) parses sparse or ragged features, which are not supported (dense features only)`,
    );
  }
  for (const shape of attr.dense_shapes?.list?.shape ?? []) {
    if (shape.unknown_rank || (shape.dim ?? []).some((d) => Number(d.size ?? 0) < 0)) {
      throw new GraphError(
        `node ${node.name} (op ${node.op}) parses a variable-length dense feature, which is not supported`,
      );
    }
  }
  for (const type of attr.Tdense?.list?.type ?? []) {
    if (type !== "DT_FLOAT" && type !== "DT_INT64" && type !== "DT_STRING") {
      throw new GraphError(`node ${node.name} (op ${node.op}) parses a ${type} feature`);
    }
  }
}

type DenseType = "float32" | "int32" | "string";

interface DenseSpec {
  key: string;
  type: DenseType;
  shape: number[];
  size: number;
  defaultValue: tf.Tensor;
}

const TYPE_NAMES: Record<DenseType, string> = {
  float32: "float",
  int32: "int64",
  string: "string",
};
const KIND_NAMES: Record<keyof FeatureProto, string> = {
  float_list: "float",
  int64_list: "int64",
  bytes_list: "string",
};
const FEATURE_KIND: Record<DenseType, keyof FeatureProto> = {
  float32: "float_list",
  int32: "int64_list",
  string: "bytes_list",
};

function parseDense(node: tf.GraphNode, op: string): tf.Tensor[] {
  const [serialized, , ...rest] = node.inputs;
  const types = (node.attrs.Tdense ?? []) as DenseType[];
  const shapes = (node.attrs.dense_shapes ?? []) as number[][];
  const keys =
    op === "ParseExample"
      ? rest.slice(0, types.length).map((t) => strings(t)[0]!)
      : strings(rest[1]!);
  const defaults = op === "ParseExample" ? rest.slice(types.length) : rest.slice(3);
  const decoder = new TextDecoder();
  const specs: DenseSpec[] = types.map((type, i) => {
    const shape = shapes[i] ?? [];
    return {
      key: decoder.decode(keys[i]),
      type,
      shape,
      size: shape.reduce((a, b) => a * b, 1),
      defaultValue: defaults[i]!,
    };
  });
  if (serialized === undefined) throw invalidArgument(`${op} got no serialized examples`);
  if (op === "ParseExample" && serialized.rank !== 1) {
    throw invalidArgument(
      `Expected serialized to be a vector, got shape: [${serialized.shape.join(",")}]`,
    );
  }
  const examples = strings(serialized).map(parseExample);
  return specs.map((spec) => denseValues(spec, examples, serialized.shape));
}

function strings(tensor: tf.Tensor): Uint8Array[] {
  return tf.engine().readSync(tensor.dataId) as Uint8Array[];
}

function parseExample(bytes: Uint8Array): Record<string, FeatureProto> {
  try {
    return decodeMessage("Example", bytes).features?.feature ?? {};
  } catch {
    const shown = Buffer.from(bytes).toString("latin1");
    throw invalidArgument(`Could not parse example input, value: '${shown}'`);
  }
}

function denseValues(
  spec: DenseSpec,
  examples: Record<string, FeatureProto>[],
  batchShape: readonly number[],
): tf.Tensor {
  const count = examples.length * spec.size;
  const data: (number | Uint8Array)[] = new Array<number | Uint8Array>(count);
  const defaults =
    spec.defaultValue.size > 0
      ? spec.type === "string"
        ? strings(spec.defaultValue)
        : Array.from(spec.defaultValue.dataSync() as Float32Array | Int32Array)
      : undefined;
  const typeName = TYPE_NAMES[spec.type];
  examples.forEach((features, index) => {
    const where = `Name: <unknown>, Key: ${spec.key}, Index: ${index}.`;
    const feature = features[spec.key];
    const kind = feature && (Object.keys(feature) as (keyof FeatureProto)[])[0];
    if (!feature || !kind) {
      if (!defaults) {
        throw invalidArgument(
          `${where}  Feature: ${spec.key} (data type: ${typeName}) is required but could not be found.`,
        );
      }
      if (defaults.length !== spec.size) {
        throw invalidArgument(
          `${where}  Default value of feature ${spec.key} has ${defaults.length} values, its shape needs ${spec.size}`,
        );
      }
      for (let i = 0; i < spec.size; i++) data[index * spec.size + i] = defaults[i]!;
      return;
    }
    if (kind !== FEATURE_KIND[spec.type]) {
      throw invalidArgument(
        `${where}  Data types don't match. Data type: ${KIND_NAMES[kind]} but expected type: ${typeName}`,
      );
    }
    const values = (feature[kind]?.value ?? []) as (number | string | Uint8Array)[];
    if (values.length !== spec.size) {
      throw invalidArgument(
        `${where}  Number of ${typeName} values != expected.  Values size: ${values.length} but output shape: [${spec.shape.join(",")}]`,
      );
    }
    for (let i = 0; i < spec.size; i++) {
      const value = values[i]!;
      data[index * spec.size + i] = typeof value === "string" ? clampInt32(Number(value)) : value;
    }
  });
  const shape = [...batchShape, ...spec.shape];
  if (spec.type === "string") return tf.tensor(data as Uint8Array[], shape, "string");
  return spec.type === "float32"
    ? tf.tensor(Float32Array.from(data as number[]), shape, "float32")
    : tf.tensor(Int32Array.from(data as number[]), shape, "int32");
}

const clampInt32 = (n: number): number => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, n));
