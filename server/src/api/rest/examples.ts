import { invalidArgument, type Example, type ExampleList, type Feature } from "@servable/protocol";
import { jsonDebugString, jsonTypeName } from "../json/debug-string";
import { IntegralDouble, isJsonObject, jsonNumberKind, type JsonValue } from "../json/json-parser";
import { decodeBase64Object, isBase64Object } from "./json-tensor";

/**
 * The examples of a classify or regress request as tf.Example features, typed as TF
 * Serving types them (`MakeExampleFromJsonObject`): strings and {"b64"} are bytes,
 * numbers written with a point or exponent are floats, integers and booleans are int64.
 */

const utf8 = new TextEncoder();
const INT64_MAX = 9223372036854775807n;

/** The "context" and "examples" of a request body. `method` names it in error texts. */
export function parseExampleList(body: Record<string, JsonValue>): ExampleList {
  const context = body.context === undefined ? undefined : exampleFromJson(body.context);
  const examples = body.examples;
  if (examples === undefined) {
    // TF Serving says "classify" here for regress requests too.
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(body)} When method is classify, key 'examples' is expected and was not found`,
    );
  }
  if (!Array.isArray(examples)) {
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(body)} Expecting 'examples' value to be an list/array`,
    );
  }
  if (examples.length === 0) {
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(body)} 'examples' value is an empty array`,
    );
  }
  return { examples: examples.map(exampleFromJson), context };
}

function exampleFromJson(value: JsonValue): Example {
  if (!isJsonObject(value)) {
    throw invalidArgument(`Example must be JSON object but got JSON ${jsonTypeName(value)}`);
  }
  const example: Example = new Map();
  for (const [name, content] of Object.entries(value)) {
    const items = Array.isArray(content) ? content : [content];
    let feature: Feature | undefined;
    for (const item of items) feature = addValue(feature, item, name);
    example.set(name, feature ?? { kind: "float", values: [] });
  }
  return example;
}

function addValue(feature: Feature | undefined, value: JsonValue, name: string): Feature {
  const unexpected = (): never => {
    throw invalidArgument(
      `Feature: ${name} has element with unexpected JSON type: ${jsonTypeName(value)}`,
    );
  };
  if (value === null || Array.isArray(value)) return unexpected();
  if (typeof value === "boolean") return push(feature, "int64", value ? 1n : 0n, name);
  if (typeof value === "string") return push(feature, "bytes", utf8.encode(value), name);
  if (isJsonObject(value)) {
    if (!isBase64Object(value)) return unexpected();
    return push(feature, "bytes", decodeBase64Object(value), name);
  }
  if (value instanceof IntegralDouble)
    return push(feature, "float", Math.fround(value.value), name);
  if (jsonNumberKind(value) === "double")
    return push(feature, "float", Math.fround(value as number), name);
  const integer = BigInt(value as number | bigint);
  if (integer > INT64_MAX) {
    throw invalidArgument(`Feature: ${name} has uint64_t element. Only int64_t is supported.`);
  }
  return push(feature, "int64", integer, name);
}

function push<K extends Feature["kind"]>(
  feature: Feature | undefined,
  kind: K,
  value: Extract<Feature, { kind: K }>["values"][number],
  name: string,
): Feature {
  if (!feature) return { kind, values: [value] } as Feature;
  if (feature.kind !== kind) {
    throw invalidArgument(
      `Unexpected element type in feature: ${name} expecting type: ${feature.kind}`,
    );
  }
  (feature.values as unknown[]).push(value);
  return feature;
}
