import { encodeMessage, type FeatureProto } from "./protobuf/tensorflow-protos";

/** A tf.Example feature: a list of bytes, floats or int64s. */
export type Feature =
  | { kind: "bytes"; values: Uint8Array[] }
  | { kind: "float"; values: number[] }
  | { kind: "int64"; values: bigint[] };

/** A tf.Example: features by name. */
export type Example = Map<string, Feature>;

/** The examples of a classify or regress request (TF Serving's Input). */
export interface ExampleList {
  examples: Example[];
  /** Features every example shares (ExampleListWithContext's context). */
  context?: Example;
}

/** Each example with the context's features it does not set itself (protobuf merge order). */
export function withContext(list: ExampleList): Example[] {
  const context = list.context;
  if (!context || context.size === 0) return list.examples;
  return list.examples.map((example) => new Map([...context, ...example]));
}

/** Serializes a tf.Example: what a SavedModel's classify or regress signature takes. */
export function serializeExample(example: Example): Uint8Array {
  const feature: Record<string, FeatureProto> = {};
  for (const [name, f] of example) {
    if (f.kind === "bytes") feature[name] = { bytes_list: { value: f.values } };
    else if (f.kind === "float") feature[name] = { float_list: { value: f.values } };
    else feature[name] = { int64_list: { value: f.values.map(String) } };
  }
  return encodeMessage("Example", { features: { feature } });
}
