import {
  invalidArgument,
  unimplemented,
  type ServingError,
  allocate,
  shortTypeName,
  type DataType,
  type TensorData,
  type HostTensor,
} from "@servable/protocol";
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

/** Standard base64; padding optional, but correct when given ("." pads as "=" does). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:[=.]{2})?|[A-Za-z0-9+/]{3}[=.]?)?$/;

/** Decodes a `{"b64": ...}` object (standard alphabet, as absl::Base64Unescape reads it). */
export function decodeBase64Object(value: JsonValue): Uint8Array {
  if (!isBase64Object(value)) {
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(value)} not formatted correctly for base64 data`,
    );
  }
  const text = (value as { b64: string }).b64;
  if (!BASE64.test(text)) throw invalidArgument("Unable to base64 decode");
  return Buffer.from(text.replace(/\./g, "="), "base64");
}

export function typeError(value: JsonValue, dtype: DataType): ServingError {
  return invalidArgument(
    `JSON Value: ${jsonDebugString(value)} Type: ${jsonTypeName(value)} is not of expected type: ${shortTypeName(dtype)}`,
  );
}

/** One scalar JSON value as an element of `dtype`. */
export function toLeaf(value: JsonValue, dtype: DataType): Leaf {
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
 * Writes JSON values into one tensor's host array as they are checked, with no array of
 * leaves in between: requests are often thousands of numbers.
 */
export class TensorBuilder {
  readonly data: TensorData;
  #length = 0;
  readonly #isFloat: boolean;

  constructor(
    readonly dtype: DataType,
    capacity: number,
  ) {
    this.data = allocate(dtype, capacity);
    this.#isFloat = dtype === "DT_FLOAT" || dtype === "DT_DOUBLE" || dtype === "DT_HALF";
  }

  get length(): number {
    return this.#length;
  }

  /**
   * Appends the leaves of `value`, whose dense shape is `shape`, checking that every
   * list has the size the shape says and every leaf sits at the shape's rank.
   */
  fill(value: JsonValue, shape: readonly number[]): void {
    this.#fill(value, 0, shape);
  }

  /** The tensor of the values written so far. */
  finish(shape: readonly number[]): HostTensor {
    const data = this.#length === this.data.length ? this.data : sliceTo(this.data, this.#length);
    return { dtype: this.dtype, shape, data };
  }

  #fill(value: JsonValue, level: number, shape: readonly number[]): void {
    if (!Array.isArray(value)) {
      if (level !== shape.length) {
        throw invalidArgument(
          `JSON Value: ${jsonDebugString(value)} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${shape.length}`,
        );
      }
      this.#add(value);
      return;
    }
    if (level >= shape.length) {
      throw invalidArgument(
        `Encountered list at unexpected level: ${level} expected < ${shape.length}`,
      );
    }
    if (value.length !== shape[level]) {
      throw invalidArgument(
        `Encountered list at unexpected size: ${value.length} at level: ${level} expected size: ${shape[level]}`,
      );
    }
    if (level === shape.length - 1 && this.#isFloat) {
      // The innermost list of a float tensor: the hot loop of most requests.
      const data = this.data as Float32Array | Float64Array;
      for (const item of value) {
        if (typeof item === "number") data[this.#length++] = item;
        else if (Array.isArray(item)) this.#fill(item, level + 1, shape);
        else data[this.#length++] = toLeaf(item, this.dtype) as number;
      }
      return;
    }
    for (const item of value) this.#fill(item, level + 1, shape);
  }

  #add(value: JsonValue): void {
    const leaf = toLeaf(value, this.dtype);
    (this.data as unknown as Leaf[])[this.#length++] = leaf;
  }
}

function sliceTo(data: TensorData, length: number): TensorData {
  return Array.isArray(data) ? data.slice(0, length) : (data as Float32Array).subarray(0, length);
}

/** A whole JSON value (scalar or nested list) as one tensor. */
export function jsonToTensor(value: JsonValue, dtype: DataType): HostTensor {
  const shape = denseShape(value);
  const builder = new TensorBuilder(
    dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  builder.fill(value, shape);
  return builder.finish(shape);
}

export function formatShapeForError(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
