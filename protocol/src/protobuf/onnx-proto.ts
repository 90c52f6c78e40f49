import { join } from "node:path";
import * as protobuf from "protobufjs";
import { PROTO_DIR } from "./tensorflow-protos";

/**
 * ONNX's messages, from ONNX's own schema (protocol/protos/onnx.proto, onnx/onnx 1.23.0,
 * unchanged), read and written with protobufjs. Objects use protobufjs's camelCase field
 * names (`opType`, `dimValue`); int64 fields read as a number or a Long (see
 * `int64ToNumber`); a oneof names its set field in a virtual property (`value` of a
 * dimension). The interfaces below type the fields Servable reads and writes; the others
 * are decoded and kept all the same.
 */
const ROOT = new protobuf.Root().loadSync(join(PROTO_DIR, "onnx.proto"), { keepCase: false });

/** An int64 field as protobufjs reads it (a Long when the value may not fit a double). */
export type OnnxInt64 = number | protobuf.Long;

export interface OperatorSetId {
  domain?: string;
  version?: OnnxInt64;
}

export interface TensorShapeDim {
  dimValue?: OnnxInt64;
  dimParam?: string;
  denotation?: string;
  /** Which field of the oneof is set, as protobufjs reports it when reading. */
  value?: "dimValue" | "dimParam";
}

export interface OnnxTensorShape {
  dim?: TensorShapeDim[];
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: OnnxTensorShape };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: OnnxTensorShape };
  denotation?: string;
}

export interface ValueInfo {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface OnnxTensorProto {
  dims?: OnnxInt64[];
  dataType?: number;
  floatData?: number[];
  int64Data?: OnnxInt64[];
  stringData?: Uint8Array[];
  name?: string;
  rawData?: Uint8Array;
}

export interface Attribute {
  name?: string;
  type?: number;
  f?: number;
  i?: OnnxInt64;
  s?: Uint8Array;
  t?: OnnxTensorProto;
  floats?: number[];
  ints?: OnnxInt64[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: Attribute[];
  docString?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: OnnxTensorProto[];
  docString?: string;
  input?: ValueInfo[];
  output?: ValueInfo[];
}

export interface ModelProto {
  irVersion?: OnnxInt64;
  opsetImport?: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: OnnxInt64;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: { key?: string; value?: string }[];
}

/**
 * The values of one of the schema's enums, by the names Servable uses: a name the schema
 * does not have fails when this module loads, not when a model is read.
 */
function enumValues<Name extends string>(
  path: string,
  names: readonly Name[],
): Readonly<Record<Name, number>> {
  const values = ROOT.lookupEnum(path).values;
  const picked = Object.create(null) as Record<Name, number>;
  for (const name of names) {
    const value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    if (value === undefined) throw new Error(`onnx.proto's ${path} has no ${name}`);
    picked[name] = value;
  }
  return Object.freeze(picked);
}

/** AttributeProto.AttributeType values used here. */
export const AttributeType = enumValues("onnx.AttributeProto.AttributeType", [
  "FLOAT",
  "INT",
  "STRING",
  "TENSOR",
  "FLOATS",
  "INTS",
  "STRINGS",
] as const);

const ELEMENT_TYPES = ROOT.lookupEnum("onnx.TensorProto.DataType");

/** TensorProto.DataType values (ONNX's element types) used here. */
export const ElementType = enumValues("onnx.TensorProto.DataType", [
  "UNDEFINED",
  "FLOAT",
  "UINT8",
  "INT8",
  "UINT16",
  "INT16",
  "INT32",
  "INT64",
  "STRING",
  "BOOL",
  "FLOAT16",
  "DOUBLE",
  "UINT32",
  "UINT64",
  "BFLOAT16",
] as const);

/** onnx.proto's lowercase name of an element type, for messages ("bfloat16"). */
export function elementTypeName(elemType: number): string {
  const name = ELEMENT_TYPES.valuesById[elemType];
  return name === undefined ? `element type ${elemType}` : name.toLowerCase();
}

const modelType = ROOT.lookupType("onnx.ModelProto");
const graphType = ROOT.lookupType("onnx.GraphProto");

/** Reads a serialized ModelProto; throws protobufjs's error when the bytes are not one. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return modelType.decode(bytes) as unknown as ModelProto;
}

/** Serializes a ModelProto built from these fields. */
export function encodeModel(model: ModelProto): Uint8Array {
  return modelType.encode(modelType.fromObject(model as Record<string, unknown>)).finish();
}

export function encodeGraph(graph: GraphProto): Uint8Array {
  return graphType.encode(graphType.fromObject(graph as Record<string, unknown>)).finish();
}

/** An int64 field as a JavaScript number (ONNX's ids, dims and versions fit). */
export function int64ToNumber(value: OnnxInt64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === "number" ? value : protobuf.util.LongBits.from(value).toNumber();
}
