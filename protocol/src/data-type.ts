/**
 * TensorFlow's DataType names (types.proto) for the dtypes Servable moves between the
 * APIs and the runtimes, with the host array that carries each.
 */
export const DATA_TYPES = [
  "DT_FLOAT",
  "DT_DOUBLE",
  "DT_HALF",
  "DT_INT8",
  "DT_INT16",
  "DT_INT32",
  "DT_INT64",
  "DT_UINT8",
  "DT_UINT16",
  "DT_UINT32",
  "DT_UINT64",
  "DT_BOOL",
  "DT_STRING",
] as const;

export type DataType = (typeof DATA_TYPES)[number];

export function isDataType(name: string): name is DataType {
  return (DATA_TYPES as readonly string[]).includes(name);
}

/** Strings travel as raw bytes (TensorFlow strings are byte strings). */
export type StringData = Uint8Array[];

export interface HostArrayByType {
  DT_FLOAT: Float32Array;
  DT_DOUBLE: Float64Array;
  /** float16 values, widened to float32 on the host. */
  DT_HALF: Float32Array;
  DT_INT8: Int8Array;
  DT_INT16: Int16Array;
  DT_INT32: Int32Array;
  DT_INT64: BigInt64Array;
  DT_UINT8: Uint8Array;
  DT_UINT16: Uint16Array;
  DT_UINT32: Uint32Array;
  DT_UINT64: BigUint64Array;
  /** 0 or 1 per element. */
  DT_BOOL: Uint8Array;
  DT_STRING: StringData;
}

export type NumericDataType = Exclude<DataType, "DT_STRING">;
export type TensorData = HostArrayByType[DataType];

type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor;

const ARRAY_CONSTRUCTORS: Record<NumericDataType, TypedArrayConstructor> = {
  DT_FLOAT: Float32Array,
  DT_DOUBLE: Float64Array,
  DT_HALF: Float32Array,
  DT_INT8: Int8Array,
  DT_INT16: Int16Array,
  DT_INT32: Int32Array,
  DT_INT64: BigInt64Array,
  DT_UINT8: Uint8Array,
  DT_UINT16: Uint16Array,
  DT_UINT32: Uint32Array,
  DT_UINT64: BigUint64Array,
  DT_BOOL: Uint8Array,
};

/** A zeroed host array of `length` elements for a dtype. */
export function allocate<T extends DataType>(dtype: T, length: number): HostArrayByType[T] {
  if (dtype === "DT_STRING") {
    return new Array<Uint8Array>(length).fill(EMPTY_BYTES) as HostArrayByType[T];
  }
  return new ARRAY_CONSTRUCTORS[dtype as NumericDataType](length) as HostArrayByType[T];
}

const EMPTY_BYTES = new Uint8Array(0);

export const isFloatType = (dtype: DataType): boolean =>
  dtype === "DT_FLOAT" || dtype === "DT_DOUBLE" || dtype === "DT_HALF";

export const isBigIntType = (dtype: DataType): boolean =>
  dtype === "DT_INT64" || dtype === "DT_UINT64";

/** Short lowercase names TF Serving uses in its JSON error texts ("float", "int64"...). */
export function shortTypeName(dtype: DataType): string {
  switch (dtype) {
    case "DT_FLOAT":
      return "float";
    case "DT_HALF":
      return "half";
    case "DT_BOOL":
      return "bool";
    default:
      return dtype.slice(3).toLowerCase();
  }
}
