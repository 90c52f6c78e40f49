import { IntegralDouble, isJsonObject, type JsonValue } from "./json-parser";
import { PrettyWriter, quote } from "./pretty-writer";

/** TF Serving cuts the JSON it quotes in error texts at about this many bytes. */
const MAX_DEBUG_BYTES = 256;

/**
 * A JSON value as TF Serving quotes it in error texts (`JsonValueToDebugString`):
 * pretty objects, one-line arrays, doubles printed shortest with ".0" kept, and cut
 * short after 256 bytes.
 */
export function jsonDebugString(value: JsonValue): string {
  const writer = new PrettyWriter();
  writer.singleLineArrays = true;
  const budget = { exhausted: false };
  write(writer, value, budget);
  return writer.toString();
}

function write(writer: PrettyWriter, value: JsonValue, budget: { exhausted: boolean }): void {
  if (budget.exhausted || writer.toString().length >= MAX_DEBUG_BYTES) {
    budget.exhausted = true;
    return;
  }
  if (Array.isArray(value)) {
    writer.startArray();
    for (const item of value) write(writer, item, budget);
    if (!budget.exhausted) writer.endArray();
  } else if (isJsonObject(value)) {
    writer.startObject();
    for (const [key, item] of Object.entries(value)) {
      if (budget.exhausted) break;
      writer.key(key);
      write(writer, item, budget);
    }
    if (!budget.exhausted) writer.endObject();
  } else {
    writer.raw(scalarText(value));
  }
}

function scalarText(value: Exclude<JsonValue, JsonValue[] | object> | IntegralDouble): string {
  if (value instanceof IntegralDouble) return doubleText(value.value);
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return Number.isInteger(value) ? String(value) : doubleText(value);
    case "bigint":
    case "boolean":
      return String(value);
    default:
      return "null";
  }
}

/** rapidjson's shortest double: "2.0", "0.5", "1e21", "1e-7". */
function doubleText(value: number): string {
  if (!Number.isFinite(value))
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  const text = String(value).replace("e+", "e");
  return Number.isInteger(value) && !text.includes("e") ? `${text}.0` : text;
}

/** rapidjson's name of a value's type, as TF Serving's error texts print it. */
export function jsonTypeName(value: JsonValue): string {
  if (value === null) return "Null";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return "Array";
  if (typeof value === "string") return "String";
  if (isJsonObject(value)) return "Object";
  return "Number";
}
