import { join } from "node:path";
import * as protobuf from "protobufjs";

/**
 * TensorFlow's messages (protocol/protos/tensorflow.proto), read and written with
 * protobufjs. Objects use the proto field names (snake_case, as TF Serving prints them);
 * enums are their names, int64 values decimal strings, bytes Uint8Arrays. Absent fields
 * stay absent.
 */
export const PROTO_DIR = join(__dirname, "..", "..", "protos");
const ROOT = new protobuf.Root().loadSync(join(PROTO_DIR, "tensorflow.proto"), { keepCase: true });

/** A TensorFlow DataType name ("DT_FLOAT"), or its number when this file does not name it. */
export type DataTypeName = string;
/** An int64 as read: a decimal string (or a number when written by Servable). */
export type Int64 = string | number;

export interface TensorShapeProto {
  dim?: { size?: Int64; name?: string }[];
  unknown_rank?: boolean;
}

export interface TensorProto {
  dtype?: DataTypeName;
  tensor_shape?: TensorShapeProto;
  version_number?: number;
  tensor_content?: Uint8Array;
  half_val?: number[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  string_val?: Uint8Array[];
  scomplex_val?: number[];
  int64_val?: Int64[];
  bool_val?: boolean[];
  dcomplex_val?: number[];
  uint32_val?: number[];
  uint64_val?: Int64[];
}

export interface ListValue {
  s?: Uint8Array[];
  i?: Int64[];
  f?: number[];
  b?: boolean[];
  type?: DataTypeName[];
  shape?: TensorShapeProto[];
  tensor?: TensorProto[];
  func?: NameAttrList[];
}

export interface AttrValue {
  s?: Uint8Array;
  i?: Int64;
  f?: number;
  b?: boolean;
  type?: DataTypeName;
  shape?: TensorShapeProto;
  tensor?: TensorProto;
  list?: ListValue;
  func?: NameAttrList;
  placeholder?: string;
}

export interface NameAttrList {
  name?: string;
  attr?: Record<string, AttrValue>;
}

export interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  device?: string;
  attr?: Record<string, AttrValue>;
}

export interface VersionDef {
  producer?: number;
  min_consumer?: number;
  bad_consumers?: number[];
}

export interface ArgDef {
  name: string;
  description?: string;
  type?: DataTypeName;
  type_attr?: string;
  number_attr?: string;
  type_list_attr?: string;
  is_ref?: boolean;
}

export interface AttrDef {
  name: string;
  type: string;
  default_value?: AttrValue;
  description?: string;
  has_minimum?: boolean;
  minimum?: Int64;
  allowed_values?: AttrValue;
}

export interface OpDef {
  name: string;
  input_arg?: ArgDef[];
  output_arg?: ArgDef[];
  control_output?: string[];
  attr?: AttrDef[];
  summary?: string;
  description?: string;
  is_aggregate?: boolean;
  is_stateful?: boolean;
  is_commutative?: boolean;
  allows_uninitialized_input?: boolean;
}

export interface FunctionDef {
  signature: OpDef;
  attr?: Record<string, AttrValue>;
  node_def?: NodeDef[];
  ret?: Record<string, string>;
  control_ret?: Record<string, string>;
}

export interface GraphDef {
  node?: NodeDef[];
  versions?: VersionDef;
  library?: { function?: FunctionDef[] };
}

export interface SaverDef {
  filename_tensor_name?: string;
  save_tensor_name?: string;
  restore_op_name?: string;
  max_to_keep?: number;
  sharded?: boolean;
  keep_checkpoint_every_n_hours?: number;
  version?: string;
}

export interface TensorInfoProto {
  name?: string;
  coo_sparse?: {
    values_tensor_name?: string;
    indices_tensor_name?: string;
    dense_shape_tensor_name?: string;
  };
  composite_tensor?: { components?: TensorInfoProto[] };
  dtype?: DataTypeName;
  tensor_shape?: TensorShapeProto;
}

export interface SignatureDefProto {
  inputs?: Record<string, TensorInfoProto>;
  outputs?: Record<string, TensorInfoProto>;
  method_name?: string;
  defaults?: Record<string, TensorProto>;
}

export interface AssetFileDef {
  tensor_info?: TensorInfoProto;
  filename?: string;
}

export interface MetaInfoDef {
  meta_graph_version?: string;
  stripped_op_list?: { op?: OpDef[] };
  tags?: string[];
  tensorflow_version?: string;
  tensorflow_git_version?: string;
  stripped_default_attrs?: boolean;
}

export interface CollectionDef {
  node_list?: { value?: string[] };
  bytes_list?: { value?: Uint8Array[] };
  int64_list?: { value?: Int64[] };
  float_list?: { value?: number[] };
  any_list?: { value?: { type_url?: string; value?: Uint8Array }[] };
}

export interface MetaGraphDef {
  meta_info_def?: MetaInfoDef;
  graph_def?: GraphDef;
  saver_def?: SaverDef;
  collection_def?: Record<string, CollectionDef>;
  signature_def?: Record<string, SignatureDefProto>;
  asset_file_def?: AssetFileDef[];
}

export interface SavedModel {
  saved_model_schema_version?: Int64;
  meta_graphs?: MetaGraphDef[];
}

export interface BundleHeaderProto {
  num_shards?: number;
  endianness?: string;
  version?: VersionDef;
}

export interface BundleEntryProto {
  dtype?: DataTypeName;
  shape?: TensorShapeProto;
  shard_id?: number;
  offset?: Int64;
  size?: Int64;
  crc32c?: number;
  slices?: unknown[];
}

export interface FeatureProto {
  bytes_list?: { value?: Uint8Array[] };
  float_list?: { value?: number[] };
  int64_list?: { value?: Int64[] };
}

export interface ExampleProto {
  features?: { feature?: Record<string, FeatureProto> };
}

/** The messages this module reads and writes, by their TensorFlow names. */
export interface MessageTypes {
  SavedModel: SavedModel;
  MetaGraphDef: MetaGraphDef;
  GraphDef: GraphDef;
  TensorProto: TensorProto;
  BundleHeaderProto: BundleHeaderProto;
  BundleEntryProto: BundleEntryProto;
  Example: ExampleProto;
}

const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: String, defaults: false };

/** The protobufjs type of a TensorFlow message ("tensorflow.X"). */
export function messageType(name: string): protobuf.Type {
  return ROOT.lookupType(`tensorflow.${name}`);
}

/** Decodes a binary message into a plain object (see the module comment for its form). */
export function decodeMessage<K extends keyof MessageTypes>(
  name: K,
  bytes: Uint8Array,
): MessageTypes[K] {
  const type = messageType(name);
  return type.toObject(type.decode(bytes), TO_OBJECT) as MessageTypes[K];
}

/** Encodes a plain object (the form decodeMessage returns) as a binary message. */
export function encodeMessage<K extends keyof MessageTypes>(
  name: K,
  value: MessageTypes[K],
): Uint8Array {
  const type = messageType(name);
  const message = type.fromObject(value as Record<string, unknown>);
  return type.encode(message).finish();
}
