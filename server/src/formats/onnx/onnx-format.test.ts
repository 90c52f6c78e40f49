import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import pino from "pino";
import { ServingError, ElementType, encodeModel, type GraphProto } from "@servable/protocol";
import { onnxHelper, signaturesOfModelFile } from "@servable/convert";
import { loadInThread } from "../../execution/version-loader";
import type { VersionRunner } from "../../execution/version-runner";
import type { LoadContext } from "../model-format";
import { onnxFormat } from "./onnx-format";

/** The ONNX format on the real onnxruntime, with models written here. */
const context: LoadContext = { logger: pino({ level: "silent" }), options: { savedModelTags: [] } };
const dirs: string[] = [];
const loaded: VersionRunner[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function versionDir(model: Uint8Array, signatures?: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "onnx-format-"));
  dirs.push(dir);
  await writeFile(join(dir, "model.onnx"), model);
  if (signatures) await writeFile(join(dir, "signatures.json"), JSON.stringify(signatures));
  return dir;
}

async function load(dir: string): Promise<VersionRunner> {
  const model = await loadInThread(dir, onnxFormat, context);
  loaded.push(model);
  return model;
}

const { floats, ints, node, string, tensorValue: tensor } = onnxHelper;

const model = (graph: GraphProto, opsets = [{ domain: "", version: 13 }]) =>
  encodeModel({ irVersion: 8, opsetImport: opsets, graph });

const text = (s: string) => new TextEncoder().encode(s);

/** LinearClassifier (labels 10, 20, 30) whose probabilities go through ZipMap. */
function linearClassifier(): Uint8Array {
  const map = {
    name: "probabilities",
    type: {
      sequenceType: {
        elemType: {
          mapType: {
            keyType: ElementType.INT64,
            valueType: { tensorType: { elemType: ElementType.FLOAT } },
          },
        },
      },
    },
  };
  return model(
    {
      name: "linear",
      node: [
        node(
          "LinearClassifier",
          ["x"],
          ["label", "scores"],
          {
            coefficients: floats([1, 0, 0, 1, -1, -1]),
            intercepts: floats([0, 0, 0.5]),
            classlabels_ints: ints([10, 20, 30]),
            post_transform: string("SOFTMAX"),
          },
          "ai.onnx.ml",
        ),
        node(
          "ZipMap",
          ["scores"],
          ["probabilities"],
          { classlabels_int64s: ints([10, 20, 30]) },
          "ai.onnx.ml",
        ),
      ],
      input: [tensor("x", ElementType.FLOAT, ["N", 2])],
      output: [tensor("label", ElementType.INT64, ["N"]), map],
    },
    [
      { domain: "", version: 13 },
      { domain: "ai.onnx.ml", version: 1 },
    ],
  );
}

function softmax(row: number[]): number[] {
  const e = row.map((v) => Math.exp(v - Math.max(...row)));
  return e.map((v) => v / e.reduce((a, b) => a + b));
}

test("a float16 model with a free batch dimension runs any batch size", async () => {
  const dir = await versionDir(
    model({
      name: "double",
      node: [{ opType: "Add", input: ["x", "x"], output: ["y"] }],
      input: [tensor("x", ElementType.FLOAT16, ["batch", 2])],
      output: [tensor("y", ElementType.FLOAT16, ["batch", 2])],
    }),
  );
  const servable = await load(dir);
  assert.equal(servable.runtime, "onnxruntime");
  const signature = servable.signatures.signature_def.serving_default!;
  assert.equal(signature.inputs.x!.dtype, "DT_HALF");
  assert.deepEqual(signature.inputs.x!.tensor_shape.dim, [
    { size: "-1", name: "batch" },
    { size: "2", name: "" },
  ]);
  for (const rows of [1, 3]) {
    const data = Float32Array.from({ length: rows * 2 }, (_, i) => i + 0.5);
    const out = await servable.run("serving_default", {
      x: { dtype: "DT_HALF", shape: [rows, 2], data },
    });
    assert.deepEqual(out.y!.shape, [rows, 2]);
    assert.deepEqual(
      [...(out.y!.data as Float32Array)],
      [...data].map((v) => v * 2),
    );
  }
});

test("a classifier through ZipMap: predict gives the probability matrix, classify TF Serving's classes and scores", async () => {
  const bytes = linearClassifier();
  const derived = signaturesOfModelFile(bytes);
  assert.deepEqual(Object.keys(derived.signature_def), ["serving_default", "classify"]);
  assert.deepEqual(derived.class_labels, { classify: ["10", "20", "30"] });
  const dir = await versionDir(bytes, derived);
  const servable = await load(dir);
  const x = { dtype: "DT_FLOAT" as const, shape: [2, 2], data: Float32Array.of(1, 2, -1, 0.5) };
  const expected = [softmax([1, 2, -3 + 0.5]), softmax([-1, 0.5, 0.5 + 0.5])];

  const predicted = await servable.run("serving_default", { x });
  assert.deepEqual([...(predicted.label!.data as BigInt64Array)], [20n, 30n]);
  assert.deepEqual(predicted.probabilities!.shape, [2, 3]);
  [...(predicted.probabilities!.data as Float32Array)].forEach((p, i) =>
    assert.ok(Math.abs(p - expected[Math.floor(i / 3)]![i % 3]!) < 1e-6),
  );

  const classified = await servable.run("classify", { x });
  assert.equal(classified.classes!.dtype, "DT_STRING");
  assert.deepEqual(classified.classes!.shape, [2, 3]);
  assert.deepEqual(
    (classified.classes!.data as Uint8Array[]).map((b) => new TextDecoder().decode(b)),
    ["10", "20", "30", "10", "20", "30"],
  );
  assert.equal(classified.scores!.dtype, "DT_FLOAT");
  const outputs = servable.signatures.signature_def.classify!.outputs;
  assert.equal(outputs.classes!.dtype, "DT_STRING");
  assert.equal(outputs.scores!.tensor_shape.dim[1]!.size, "3");
});

test("a file that does not parse fails for good, naming the file", async () => {
  const dir = await versionDir(text("not a model"));
  await assert.rejects(loadInThread(dir, onnxFormat, context), (error: unknown) => {
    assert.ok(error instanceof ServingError);
    assert.equal(error.code, "INVALID_ARGUMENT");
    assert.equal(error.retryable, false);
    assert.match(error.message, /^model\.onnx in .* does not parse: /);
    return true;
  });
});

test("a model onnxruntime cannot run fails for good, with onnxruntime's message", async () => {
  const dir = await versionDir(
    model({
      name: "unknown-op",
      node: [{ opType: "NoSuchOperator", input: ["x"], output: ["y"] }],
      input: [tensor("x", ElementType.FLOAT, ["N"])],
      output: [tensor("y", ElementType.FLOAT, ["N"])],
    }),
  );
  await assert.rejects(loadInThread(dir, onnxFormat, context), (error: unknown) => {
    assert.ok(error instanceof ServingError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /^ONNX Runtime cannot load the model: .*NoSuchOperator/);
    return true;
  });
});

test("a signature file that does not fit the graph fails the load with the reason", async () => {
  const graph = model({
    name: "identity",
    node: [{ opType: "Identity", input: ["x"], output: ["y"] }],
    input: [tensor("x", ElementType.INT64, ["N"])],
    output: [tensor("y", ElementType.INT64, ["N"])],
  });
  const info = (name: string, dtype: string) => ({
    name,
    dtype,
    tensor_shape: { dim: [{ size: "-1" }] },
  });
  const cases: [object, RegExp][] = [
    [
      { inputs: { a: info("z", "DT_INT64") }, outputs: { b: info("y", "DT_INT64") } },
      /'z', which is not an input/,
    ],
    [
      { inputs: { a: info("x", "DT_FLOAT") }, outputs: { b: info("y", "DT_INT64") } },
      /DT_FLOAT but the model's input 'x' is DT_INT64/,
    ],
    [{ inputs: {}, outputs: { b: info("y", "DT_INT64") } }, /inputs x are not fed/],
    [
      { inputs: { a: info("x", "DT_INT64") }, outputs: { b: info("w", "DT_INT64") } },
      /'w', which is not an output/,
    ],
  ];
  for (const [def, message] of cases) {
    const dir = await versionDir(graph, {
      signature_def: { serving_default: { ...def, method_name: "tensorflow/serving/predict" } },
    });
    await assert.rejects(loadInThread(dir, onnxFormat, context), message);
  }
});
