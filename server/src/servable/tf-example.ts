import { Writer } from "protobufjs/minimal";
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

/**
 * Serializes a tf.Example (tensorflow/core/example/example.proto): what a SavedModel's
 * classify or regress signature takes as its one DT_STRING input.
 *
 *   Example { Features features = 1; }   Features { map<string, Feature> feature = 1; }
 *   Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
 */
export function serializeExample(example: Example): Uint8Array {
  const writer = Writer.create();
  writer.uint32(tag(1, 2)).fork(); // features
  for (const [name, feature] of example) {
    writer.uint32(tag(1, 2)).fork(); // map entry
    writer.uint32(tag(1, 2)).string(name);
    writer.uint32(tag(2, 2)).fork(); // Feature
    switch (feature.kind) {
      case "bytes":
        writer.uint32(tag(1, 2)).fork();
        for (const value of feature.values) writer.uint32(tag(1, 2)).bytes(value);
        writer.ldelim();
        break;
      case "float":
        writer.uint32(tag(2, 2)).fork();
        if (feature.values.length > 0) {
          writer.uint32(tag(1, 2)).fork();
          for (const value of feature.values) writer.float(value);
          writer.ldelim();
        }
        writer.ldelim();
        break;
      case "int64":
        writer.uint32(tag(3, 2)).fork();
        if (feature.values.length > 0) {
          writer.uint32(tag(1, 2)).fork();
          for (const value of feature.values) writer.int64(value.toString());
          writer.ldelim();
        }
        writer.ldelim();
        break;
    }
    writer.ldelim().ldelim();
  }
  writer.ldelim();
  return writer.finish();
}

const tag = (field: number, wireType: number): number => (field << 3) | wireType;
