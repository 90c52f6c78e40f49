import { invalidArgument, unimplemented, type ServingError } from "../../core/errors";
import { allocate, shortTypeName, type DataType } from "../../servable/data-type";
import type { HostTensor } from "../../servable/tensor";
import { jsonDebugString, jsonTypeName } from "../json/debug-string";
import { IntegralDouble, isJsonObject, jsonNumberKind, type JsonValue } from "../json/json-parser";

/**
 * One JSON value (a scalar or nested lists) to a tensor of a signature's dtype, with TF
 * Serving's checks and error texts (`FillTensorProto`, `AddValueToTensor`).
 */

type Leaf = number | bigint | Uint8Array;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

const utf8 = new TextEncoder();

/** The shape a nested list implies: the length at each level, following first elements. */
export function denseShape(value: JsonValue): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  return shape;
}

/** A string `{"b64": "..."}` object: exactly one key, b64, holding a string. */
export function isBase64Object(value: JsonValue): boolean {
  if (!isJsonObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "b64" && typeof value.b64 === "string";
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a `{"b64": ...}` object (standard alphabet, padded, as absl::Base64Unescape). */
export function decodeBase64Object(value: JsonValue): Uint8Array {
  if (!isBase64Object(value)) {
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(value)} not formatted correctly for base64 data`,
    );
  }
  const text = (value as { b64: string }).b64;
  if (!BASE64.test(text)) throw invalidArgument("Unable to base64 decode");
  return Buffer.from(text, "base64");
}

export function typeError(value: JsonValue, dtype: DataType): ServingError {
  return invalidArgument(
    `JSON Value: ${jsonDebugString(value)} Type: ${jsonTypeName(value)} is not of expected type: ${shortTypeName(dtype)}`,
  );
}

/** One scalar JSON value as an element of `dtype`. */
function toLeaf(value: JsonValue, dtype: DataType): Leaf {
  if (isJsonObject(value)) {
    if (dtype === "DT_STRING") return decodeBase64Object(value);
    throw typeError(value, dtype);
  }
  const isNumber =
    typeof value === "number" || typeof value === "bigint" || value instanceof IntegralDouble;
  switch (dtype) {
    case "DT_FLOAT":
    case "DT_DOUBLE":
    case "DT_HALF":
      if (!isNumber) throw typeError(value, dtype);
      return typeof value === "number"
        ? value
        : typeof value === "bigint"
          ? Number(value)
          : value.value;
    case "DT_INT32":
    case "DT_INT16":
    case "DT_INT8":
    case "DT_UINT8":
      if (
        typeof value !== "number" ||
        !Number.isInteger(value) ||
        value < INT32_MIN ||
        value > INT32_MAX
      ) {
        throw typeError(value, dtype);
      }
      return value;
    case "DT_UINT16":
    case "DT_UINT32":
      if (
        typeof value !== "number" ||
        !Number.isInteger(value) ||
        value < 0 ||
        value > UINT32_MAX
      ) {
        throw typeError(value, dtype);
      }
      return value;
    case "DT_INT64":
      if (!isNumber || jsonNumberKind(value) !== "int") throw typeError(value, dtype);
      if (typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX))
        throw typeError(value, dtype);
      return BigInt(value as number | bigint);
    case "DT_UINT64":
      if (!isNumber || jsonNumberKind(value) !== "int") throw typeError(value, dtype);
      if (BigInt(value as number | bigint) < 0n || BigInt(value as number | bigint) > UINT64_MAX) {
        throw typeError(value, dtype);
      }
      return BigInt(value as number | bigint);
    case "DT_BOOL":
      if (typeof value !== "boolean") throw typeError(value, dtype);
      return value ? 1 : 0;
    case "DT_STRING":
      if (typeof value !== "string") throw typeError(value, dtype);
      return utf8.encode(value);
    default:
      throw unimplemented(
        `Conversion of JSON Value: ${jsonDebugString(value)} to type: ${shortTypeName(dtype)}`,
      );
  }
}

/**
 * Appends the leaves of `value` (whose dense shape is `shape`) to `out`, checking that
 * every list has the size the shape says and every leaf sits at the shape's rank.
 */
export function collectLeaves(
  value: JsonValue,
  shape: readonly number[],
  dtype: DataType,
  out: Leaf[],
): void {
  fill(value, 0, shape, dtype, out);
}

function fill(
  value: JsonValue,
  level: number,
  shape: readonly number[],
  dtype: DataType,
  out: Leaf[],
): void {
  const rank = shape.length;
  if (!Array.isArray(value)) {
    if (level !== rank) {
      throw invalidArgument(
        `JSON Value: ${jsonDebugString(value)} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`,
      );
    }
    out.push(toLeaf(value, dtype));
    return;
  }
  if (level >= rank) {
    throw invalidArgument(`Encountered list at unexpected level: ${level} expected < ${rank}`);
  }
  if (value.length !== shape[level]) {
    throw invalidArgument(
      `Encountered list at unexpected size: ${value.length} at level: ${level} expected size: ${shape[level]}`,
    );
  }
  for (const item of value) fill(item, level + 1, shape, dtype, out);
}

/** A tensor from collected leaves. */
export function tensorFromLeaves(
  dtype: DataType,
  shape: readonly number[],
  leaves: readonly Leaf[],
): HostTensor {
  const data = allocate(dtype, leaves.length);
  if (Array.isArray(data)) {
    for (let i = 0; i < leaves.length; i++) data[i] = leaves[i] as Uint8Array;
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < leaves.length; i++) data[i] = leaves[i] as bigint;
  } else {
    for (let i = 0; i < leaves.length; i++) data[i] = leaves[i] as number;
  }
  return { dtype, shape, data };
}

/** A whole JSON value (scalar or nested list) as one tensor. */
export function jsonToTensor(value: JsonValue, dtype: DataType): HostTensor {
  const shape = denseShape(value);
  const leaves: Leaf[] = [];
  collectLeaves(value, shape, dtype, leaves);
  return tensorFromLeaves(dtype, shape, leaves);
}

export function formatShapeForError(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
