import fc from "fast-check";
import { bentEntries } from "./bent-entries";
import { FUZZ_MODELS, type FuzzModel } from "./fuzz-models";
import { chosenName, mostly, nameText, PROTOTYPE_NAMES, rarely } from "./json-text";

/**
 * gRPC calls (PredictionService Predict, Classify, Regress, GetModelMetadata; ModelService
 * GetModelStatus) as a TF Serving client sends them, built from the models' signatures and
 * bent: model specs, input keys, dtypes, shapes, values, tensor_content of any length.
 */
export interface GrpcRequest {
  readonly kind: string;
  readonly service: "PredictionService" | "ModelService";
  readonly method: string;
  readonly message: unknown;
}

const DTYPES = [
  "DT_FLOAT",
  "DT_INT32",
  "DT_STRING",
  "DT_INT64",
  "DT_DOUBLE",
  "DT_BOOL",
  "DT_HALF",
  "DT_UINT8",
  "DT_INVALID",
  "DT_COMPLEX64",
  "DT_RESOURCE",
] as const;

/** A map whose keys may be "__proto__": built so that such a key is a key, not a prototype. */
const mapOf = <T>(entries: readonly (readonly [string, T])[]): Record<string, T> =>
  Object.fromEntries(entries);

function modelSpec(
  m: FuzzModel,
  signatures: readonly string[],
): fc.Arbitrary<Record<string, unknown> | undefined> {
  const spec = fc.record({
    name: mostly(fc.constant(m.name), fc.constantFrom(...PROTOTYPE_NAMES, "nope", ""), 10),
    version: mostly(
      fc.constant(undefined),
      fc
        .constantFrom("1", "2", "0", "-1", "9223372036854775807", "99999999999999999")
        .map((value) => ({ value })),
      8,
    ),
    version_label: mostly(fc.constant(undefined), nameText(["stable"]), 12),
    signature_name: chosenName(signatures),
  });
  return mostly(
    spec.map((s): Record<string, unknown> | undefined => s),
    fc.constant(undefined),
    30,
  );
}

/** Values for a tensor of `count` elements of `dtype`, or of another field, or too many. */
function tensorValues(dtype: string, count: number): fc.Arbitrary<Record<string, unknown>> {
  const exactly = { minLength: count, maxLength: count };
  const right: fc.Arbitrary<Record<string, unknown>> = (() => {
    switch (dtype) {
      case "DT_FLOAT":
      case "DT_HALF":
        return fc.array(fc.float(), exactly).map((v) => ({ float_val: v }));
      case "DT_DOUBLE":
        return fc.array(fc.double(), exactly).map((v) => ({ double_val: v }));
      case "DT_INT32":
      case "DT_UINT8":
        return fc.array(fc.integer(), exactly).map((v) => ({ int_val: v }));
      case "DT_INT64":
        return fc
          .array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), exactly)
          .map((v) => ({ int64_val: v }));
      case "DT_BOOL":
        return fc.array(fc.boolean(), exactly).map((v) => ({ bool_val: v }));
      case "DT_STRING":
        return fc
          .array(
            fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
            exactly,
          )
          .map((v) => ({ string_val: v }));
      default:
        return fc.constant({});
    }
  })();
  const n = fc.integer({ min: 0, max: count + 2 });
  return mostly(
    right,
    fc.oneof(
      n
        .chain((k) => fc.array(fc.float(), { minLength: k, maxLength: k }))
        .map((v) => ({ float_val: v })),
      n
        .chain((k) => fc.array(fc.integer(), { minLength: k, maxLength: k }))
        .map((v) => ({ int_val: v })),
      fc.uint8Array({ maxLength: 4 * count + 5 }).map((b) => ({ tensor_content: Buffer.from(b) })),
      fc.constant({}),
    ),
    10,
  );
}

const ODD_SHAPES: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.integer({ min: -2, max: 4 }), { maxLength: 4 }),
  fc.constantFrom<number[]>([100_000], [1 << 20, 1 << 20], [2 ** 40], [-1, 2]),
);

/** A TensorProto for a signature input: its dtype and a shape that fits, or not. */
function tensorProto(
  info: FuzzModel["signatures"][string]["inputs"][string],
): fc.Arbitrary<unknown> {
  const fitting: fc.Arbitrary<number[]> = fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }))
    .map(([batch, free]) =>
      info.tensor_shape.dim.map((d, i) =>
        Number(d.size) >= 0 ? Number(d.size) : i === 0 ? batch : free,
      ),
    );
  return fc
    .record({
      dtype: mostly(fc.constant<string>(info.dtype), fc.constantFrom<string>(...DTYPES), 20),
      dims: mostly(fitting, ODD_SHAPES, 15),
      unknownRank: mostly(fc.constant(false), fc.constant(true), 30),
    })
    .chain(({ dtype, dims, unknownRank }) => {
      const count = dims.every((d) => d >= 0) ? dims.reduce((a, b) => a * b, 1) : 1;
      return tensorValues(dtype, Math.min(count, 16)).map((values) => ({
        dtype,
        tensor_shape: unknownRank
          ? { unknown_rank: true }
          : { dim: dims.map((size) => ({ size })) },
        ...values,
      }));
    });
}

function predict(m: FuzzModel): fc.Arbitrary<GrpcRequest> {
  const names = Object.keys(m.signatures);
  return fc.constantFrom(...names).chain((signature) => {
    const inputs = Object.entries(m.signatures[signature]!.inputs);
    const entries = bentEntries(
      inputs,
      tensorProto,
      (name) => [name],
      fc.constantFrom(...inputs).chain(([, info]) => fc.tuple(nameText([]), tensorProto(info))),
      { renamed: 30, dropped: 40, added: 30 },
    );
    return fc
      .record({
        model_spec: modelSpec(m, [signature]),
        inputs: entries.map(mapOf),
        output_filter: mostly(
          fc.constant(undefined),
          fc.array(chosenName(Object.keys(m.signatures[signature]!.outputs)), { maxLength: 3 }),
          6,
        ),
      })
      .map((message) => ({
        kind: "grpc/Predict",
        service: "PredictionService" as const,
        method: "Predict",
        message,
      }));
  });
}

const oddFeature = fc.oneof(
  fc.array(fc.float(), { maxLength: 4 }).map((value) => ({ float_list: { value } })),
  fc
    .array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), { maxLength: 3 })
    .map((value) => ({ int64_list: { value } })),
  fc
    .array(
      fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)),
      { maxLength: 3 },
    )
    .map((value) => ({ bytes_list: { value } })),
  fc.constant({}),
);

/** An example with a float feature per input of the signature (as many values as a row holds). */
function example(signature: FuzzModel["signatures"][string]): fc.Arbitrary<unknown> {
  const inputs = Object.entries(signature.inputs);
  return fc
    .tuple(
      fc.tuple(
        ...inputs.map(([name, info]) => {
          const count = info.tensor_shape.dim
            .slice(1)
            .reduce((a, d) => a * Math.max(1, Number(d.size)), 1);
          const right = fc
            .array(fc.float({ min: -1e6, max: 1e6, noNaN: true }), {
              minLength: count,
              maxLength: count,
            })
            .map((value) => ({ float_list: { value } }));
          return fc.tuple(
            mostly(fc.constant(name), nameText([name]), 30),
            mostly(right, oddFeature, 12),
          );
        }),
      ),
      rarely(fc.tuple(nameText([]), oddFeature), 20),
    )
    .map(([entries, extra]) => ({
      features: { feature: mapOf([...entries, ...(extra ? [extra] : [])]) },
    }));
}

function examples(m: FuzzModel, method: "Classify" | "Regress"): fc.Arbitrary<GrpcRequest> {
  const names = Object.keys(m.signatures);
  const fitting = names.filter((n) => m.signatures[n]!.method_name.endsWith(method.toLowerCase()));
  return fc.constantFrom(...fitting).chain((signature) => {
    const one = example(m.signatures[signature]!);
    return fc
      .record({
        model_spec: modelSpec(m, [signature]),
        input: fc.oneof(
          {
            arbitrary: fc
              .array(one, { minLength: 1, maxLength: 4 })
              .map((list) => ({ example_list: { examples: list } })),
            weight: 10,
          },
          {
            arbitrary: fc.tuple(fc.array(one, { maxLength: 3 }), one).map(([list, context]) => ({
              example_list_with_context: { examples: list, context },
            })),
            weight: 2,
          },
          { arbitrary: fc.constantFrom(undefined, { example_list: { examples: [] } }), weight: 1 },
        ),
      })
      .map((message) => ({
        kind: `grpc/${method}`,
        service: "PredictionService" as const,
        method,
        message,
      }));
  });
}

function reads(m: FuzzModel): fc.Arbitrary<GrpcRequest> {
  return fc.oneof(
    fc
      .record({
        model_spec: modelSpec(m, [""]),
        metadata_field: fc.oneof(
          fc.constant(["signature_def"]),
          fc.array(fc.constantFrom("signature_def", "x", "__proto__"), { maxLength: 3 }),
        ),
      })
      .map((message) => ({
        kind: "grpc/GetModelMetadata",
        service: "PredictionService" as const,
        method: "GetModelMetadata",
        message,
      })),
    modelSpec(m, [""]).map((model_spec) => ({
      kind: "grpc/GetModelStatus",
      service: "ModelService" as const,
      method: "GetModelStatus",
      message: { model_spec },
    })),
  );
}

export function grpcRequest(): fc.Arbitrary<GrpcRequest> {
  return fc
    .constantFrom(...FUZZ_MODELS)
    .chain((m) =>
      fc.oneof(
        { arbitrary: predict(m), weight: 5 },
        { arbitrary: examples(m, "Classify"), weight: 2 },
        { arbitrary: examples(m, "Regress"), weight: 2 },
        { arbitrary: reads(m), weight: 1 },
      ),
    );
}
