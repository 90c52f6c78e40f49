import * as protobuf from "protobufjs";

/**
 * The part of ONNX's onnx.proto (onnx/onnx, proto2, field numbers unchanged) that
 * Servable reads and writes: enough to read a model's graph interface and nodes, and to
 * build tree-ensemble models from scratch. Fields left out are skipped when reading;
 * a model read with this subset is never written back (see zipmap.ts for how a graph is
 * changed without losing what this subset does not know).
 */
const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11;
    TYPE_PROTO = 13; FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSORS = 12; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  repeated bytes string_data = 6;
  optional string name = 8;
  optional bytes raw_data = 9;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

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

/** AttributeProto.AttributeType values used here. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

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

/** OnnxTensorProto.DataType values (onnx.proto's element types). */
export const ElementType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

const root = protobuf.parse(ONNX_PROTO, { keepCase: false }).root;
const modelType = root.lookupType("onnx.ModelProto");
const graphType = root.lookupType("onnx.GraphProto");
const valueInfoType = root.lookupType("onnx.ValueInfoProto");

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

export function encodeValueInfo(info: ValueInfo): Uint8Array {
  return valueInfoType.encode(valueInfoType.fromObject(info as Record<string, unknown>)).finish();
}

/** An int64 field as a JavaScript number (ONNX's ids, dims and versions fit). */
export function int64ToNumber(value: OnnxInt64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === "number" ? value : protobuf.util.LongBits.from(value).toNumber();
}
