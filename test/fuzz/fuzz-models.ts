import { readFileSync } from "node:fs";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEMO_REPOSITORY } from "../support";

/**
 * The model repository the fuzz suite serves: the demo half_plus_two (floats), and
 * "mixed", a TF.js graph model with a float, an int and a string input, written here:
 *   serving_default  a (float [-1,2]), n (int32 [-1]), s (string [-1])
 *                    -> a_twice = 2a, n_next = n + 1, s_bytes = s (a "_bytes" output: base64)
 *   ints             n -> n_next
 *   regress_a        a -> outputs = sum of a's row ([-1,1])
 *   classify_a       a -> scores = 2a (two classes)
 */
export async function writeFuzzRepository(repository: string): Promise<void> {
  await cp(join(DEMO_REPOSITORY, "half_plus_two"), join(repository, "half_plus_two"), {
    recursive: true,
  });
  await writeMixedModel(join(repository, "mixed", "1"));
}

type DType = "DT_FLOAT" | "DT_INT32" | "DT_STRING";
const dims = (shape: number[]) => ({ dim: shape.map((size) => ({ size: String(size) })) });

const placeholder = (name: string, dtype: DType, shape: number[]) => ({
  name,
  op: "Placeholder",
  attr: { dtype: { type: dtype }, shape: { shape: dims(shape) } },
});
const constant = (name: string, dtype: DType, shape: number[]) => ({
  name,
  op: "Const",
  attr: {
    dtype: { type: dtype },
    value: { tensor: { dtype, tensorShape: shape.length ? dims(shape) : {} } },
  },
});
const op = (name: string, type: string, inputs: string[], dtype: DType, attr = {}) => ({
  name,
  op: type,
  input: inputs,
  attr: { T: { type: dtype }, ...attr },
});

const NODES = [
  placeholder("a", "DT_FLOAT", [-1, 2]),
  placeholder("n", "DT_INT32", [-1]),
  placeholder("s", "DT_STRING", [-1]),
  constant("two", "DT_FLOAT", []),
  constant("one", "DT_INT32", []),
  constant("row_axis", "DT_INT32", [1]),
  op("a_twice", "Mul", ["a", "two"], "DT_FLOAT"),
  op("n_next", "AddV2", ["n", "one"], "DT_INT32"),
  op("s_out", "Identity", ["s"], "DT_STRING"),
  op("a_sum", "Sum", ["a", "row_axis"], "DT_FLOAT", {
    keep_dims: { b: true },
    Tidx: { type: "DT_INT32" },
  }),
];

const info = (name: string, dtype: DType, shape: number[]) => ({
  dtype,
  tensor_shape: {
    dim: shape.map((size) => ({ size: String(size), name: "" })),
    unknown_rank: false,
  },
  name,
});
const A = info("a:0", "DT_FLOAT", [-1, 2]);
const N = info("n:0", "DT_INT32", [-1]);
const S = info("s:0", "DT_STRING", [-1]);
const A_TWICE = info("a_twice:0", "DT_FLOAT", [-1, 2]);
const N_NEXT = info("n_next:0", "DT_INT32", [-1]);

export const MIXED_SIGNATURES = {
  signature_def: {
    serving_default: {
      inputs: { a: A, n: N, s: S },
      outputs: { a_twice: A_TWICE, n_next: N_NEXT, s_bytes: info("s_out:0", "DT_STRING", [-1]) },
      method_name: "tensorflow/serving/predict",
    },
    ints: {
      inputs: { n: N },
      outputs: { n_next: N_NEXT },
      method_name: "tensorflow/serving/predict",
    },
    regress_a: {
      inputs: { a: A },
      outputs: { outputs: info("a_sum:0", "DT_FLOAT", [-1, 1]) },
      method_name: "tensorflow/serving/regress",
    },
    classify_a: {
      inputs: { a: A },
      outputs: { scores: A_TWICE },
      method_name: "tensorflow/serving/classify",
    },
  },
};

async function writeMixedModel(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const weights = Buffer.concat([
    Buffer.from(Float32Array.of(2).buffer),
    Buffer.from(Int32Array.of(1).buffer),
    Buffer.from(Int32Array.of(1).buffer),
  ]);
  const model = {
    format: "graph-model",
    generatedBy: "servable test/fuzz/fuzz-models.ts",
    convertedBy: null,
    modelTopology: { node: NODES, library: {}, versions: { producer: 1395 } },
    weightsManifest: [
      {
        paths: ["weights.bin"],
        weights: [
          { name: "two", shape: [], dtype: "float32" },
          { name: "one", shape: [], dtype: "int32" },
          { name: "row_axis", shape: [1], dtype: "int32" },
        ],
      },
    ],
  };
  await writeFile(join(dir, "model.json"), JSON.stringify(model));
  await writeFile(join(dir, "weights.bin"), weights);
  await writeFile(join(dir, "signatures.json"), JSON.stringify(MIXED_SIGNATURES));
}

/** A served model as the generators see it: its name and its signatures' inputs and outputs. */
export interface FuzzModel {
  readonly name: string;
  readonly signatures: Record<
    string,
    {
      inputs: Record<string, { dtype: string; tensor_shape: { dim: { size: string }[] } }>;
      outputs: Record<string, unknown>;
      method_name: string;
    }
  >;
}

export const FUZZ_MODELS: readonly FuzzModel[] = [
  {
    name: "half_plus_two",
    signatures: (
      JSON.parse(
        readFileSync(join(DEMO_REPOSITORY, "half_plus_two", "1", "signatures.json"), "utf8"),
      ) as { signature_def: FuzzModel["signatures"] }
    ).signature_def,
  },
  { name: "mixed", signatures: MIXED_SIGNATURES.signature_def },
];

/** Requests whose answers must be the same before and after the fuzzing. */
export const SEED_REQUESTS = [
  {
    path: "/v1/models/half_plus_two:predict",
    body: '{"instances": [1.0, 2.0, 5.0]}',
    answer: '{"predictions":[2.5,3.0,4.5]}',
  },
  {
    path: "/v1/models/mixed:predict",
    body: '{"instances": [{"a": [1.0, 2.0], "n": 3, "s": "hi"}]}',
    answer: '{"predictions":[{"a_twice":[2.0,4.0],"n_next":4,"s_bytes":{"b64":"aGk="}}]}',
  },
] as const;
