import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { compileGraphModel, type GraphModelLike } from "./graph-to-onnx";

/**
 * TF.js graph models written here (a GraphDef as TF.js's converter writes it, weights in
 * memory), compiled for one set of feeds and fetches and run on onnxruntime against
 * TF.js's own execute(): within 1e-5 relative.
 */
const FLOAT = { type: "DT_FLOAT" };
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function graphModel(
  nodes: object[],
  weights: Record<string, { shape: number[]; values: number[]; dtype?: "float32" | "int32" }>,
): Promise<tf.GraphModel> {
  const entries = Object.entries(weights);
  const data = entries.flatMap(([, w]) => w.values);
  const buffer = new ArrayBuffer(data.length * 4);
  let offset = 0;
  for (const [, w] of entries) {
    const view =
      w.dtype === "int32"
        ? new Int32Array(buffer, offset * 4, w.values.length)
        : new Float32Array(buffer, offset * 4, w.values.length);
    view.set(w.values);
    offset += w.values.length;
  }
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: { node: nodes, versions: { producer: 1 } },
      format: "graph-model",
      weightSpecs: entries.map(([name, w]) => ({
        name,
        shape: w.shape,
        dtype: w.dtype ?? "float32",
      })),
      weightData: buffer,
    }),
  );
}

const placeholder = (name: string, dims: number[]) => ({
  name,
  op: "Placeholder",
  attr: { dtype: FLOAT, shape: { shape: { dim: dims.map((size) => ({ size: String(size) })) } } },
});
const constNode = (name: string, dtype = FLOAT) => ({ name, op: "Const", attr: { dtype } });
const op = (name: string, type: string, input: string[], attr: object = { T: FLOAT }) => ({
  name,
  op: type,
  input,
  attr,
});

async function agree(
  model: tf.GraphModel,
  feeds: { name: string; shape: number[] }[],
  fetches: string[],
) {
  const compiled = compileGraphModel(
    model as unknown as GraphModelLike,
    feeds.map((f) => ({ name: f.name, dtype: "DT_FLOAT", shape: [-1, ...f.shape.slice(1)] })),
    fetches.map((name) => ({ name, dtype: "DT_FLOAT", shape: undefined })),
  );
  assert.ok(compiled.compiled, compiled.compiled ? "" : compiled.reason);
  const session = await InferenceSession.create(compiled.onnx);
  try {
    const inputs = feeds.map((f, i) =>
      tf.tensor(
        Float32Array.from({ length: f.shape.reduce((a, b) => a * b, 1) }, (_, k) =>
          Math.sin(k * 1.7 + i),
        ),
        f.shape,
      ),
    );
    const expected = [
      model.execute(Object.fromEntries(feeds.map((f, i) => [f.name, inputs[i]!])), fetches),
    ].flat();
    const results = await session.run(
      Object.fromEntries(
        feeds.map((f, i) => [
          f.name,
          new Tensor("float32", inputs[i]!.dataSync() as Float32Array, f.shape),
        ]),
      ),
    );
    fetches.forEach((name, i) => {
      const got = results[name]!.data as Float32Array;
      const want = expected[i]!.dataSync();
      assert.deepEqual([...results[name]!.dims], expected[i]!.shape);
      want.forEach((w, k) =>
        assert.ok(Math.abs(got[k]! - w) <= 1e-5 * Math.max(1, Math.abs(w)), `${name}[${k}]`),
      );
    });
  } finally {
    await session.release();
  }
}

test("a dense graph: MatMul (transposed), BiasAdd, the fused MatMul, activations, Reshape", async () => {
  const model = await graphModel(
    [
      placeholder("x", [-1, 3]),
      op("in", "Identity", ["x"]),
      constNode("w"),
      constNode("b"),
      constNode("w2"),
      constNode("b2"),
      constNode("shape", { type: "DT_INT32" }),
      op("mm", "MatMul", ["in", "w"], { T: FLOAT, transpose_b: { b: true } }),
      op("biased", "BiasAdd", ["mm", "b"]),
      op("act", "Relu6", ["biased"]),
      op("fused", "_FusedMatMul", ["act", "w2", "b2"], {
        T: FLOAT,
        fused_ops: { list: { s: [b64("BiasAdd"), b64("Relu")] } },
        num_args: { i: "1" },
      }),
      op("scaled", "Mul", ["fused", "fused"]),
      op("flat", "Reshape", ["scaled", "shape"], { T: FLOAT, Tshape: { type: "DT_INT32" } }),
      op("y", "Softmax", ["flat"]),
      op("z", "Sigmoid", ["mm"]),
    ],
    {
      w: { shape: [4, 3], values: [0.5, -1, 2, 1, 0.25, -0.5, -2, 1, 0, 0.3, 0.3, 0.3] },
      b: { shape: [4], values: [0.1, -0.2, 0.3, 0] },
      w2: { shape: [4, 2], values: [1, -1, 0.5, 0.5, -0.25, 2, 1, 1] },
      b2: { shape: [2], values: [0.05, -0.05] },
      shape: { shape: [2], values: [-1, 2], dtype: "int32" },
    },
  );
  await agree(model, [{ name: "in:0", shape: [5, 3] }], ["y:0", "z:0"]);
});

test("a node the signature does not feed, or an op not written, is the reason, named", async () => {
  const model = await graphModel(
    [placeholder("x", [-1, 2]), op("y", "Cumsum", ["x"]), op("z", "Relu", ["x"])],
    {},
  );
  const result = compileGraphModel(
    model as unknown as GraphModelLike,
    [{ name: "x:0", dtype: "DT_FLOAT", shape: [-1, 2] }],
    [{ name: "y:0", dtype: "DT_FLOAT", shape: [-1, 2] }],
  );
  assert.deepEqual(result, {
    compiled: false,
    reason: "node y (Cumsum): the op Cumsum is not compiled to ONNX",
  });
  const unfed = compileGraphModel(
    model as unknown as GraphModelLike,
    [],
    [{ name: "z:0", dtype: "DT_FLOAT", shape: [-1, 2] }],
  );
  assert.deepEqual(unfed, {
    compiled: false,
    reason: "node x (Placeholder): the signature does not feed it",
  });
});

test("a convolutional graph: Conv2D, the depthwise and fused ones, pools, Mean and Max, ConcatV2", async () => {
  const window = (strides: number[], padding: string) => ({
    T: FLOAT,
    strides: { list: { i: strides.map(String) } },
    padding: { s: b64(padding) },
    data_format: { s: b64("NHWC") },
    dilations: { list: { i: ["1", "1", "1", "1"] } },
  });
  const ramp = (n: number, scale: number) =>
    Array.from({ length: n }, (_, i) => Math.cos(i * scale) * 0.5);
  const model = await graphModel(
    [
      placeholder("x", [-1, 7, 6, 2]),
      constNode("f1"),
      constNode("f2"),
      constNode("f3"),
      constNode("b3"),
      constNode("axes", { type: "DT_INT32" }),
      constNode("axis", { type: "DT_INT32" }),
      op("c1", "Conv2D", ["x", "f1"], {
        ...window([1, 1, 1, 1], "VALID"),
        dilations: { list: { i: ["1", "2", "1", "1"] } },
      }),
      op("c2", "DepthwiseConv2dNative", ["c1", "f2"], window([1, 1, 1, 1], "VALID")),
      op("c3", "_FusedConv2D", ["c2", "f3", "b3"], {
        ...window([1, 1, 1, 1], "SAME"),
        fused_ops: { list: { s: [b64("BiasAdd"), b64("Relu")] } },
        num_args: { i: "1" },
      }),
      op("p1", "MaxPool", ["c3"], {
        ...window([1, 2, 1, 1], "SAME"),
        ksize: { list: { i: ["1", "2", "2", "1"] } },
      }),
      op("p2", "AvgPool", ["p1"], {
        ...window([1, 2, 2, 1], "SAME"),
        ksize: { list: { i: ["1", "3", "2", "1"] } },
      }),
      op("mean", "Mean", ["p2", "axes"], { T: FLOAT, keep_dims: { b: false } }),
      op("max", "Max", ["p2", "axes"], { T: FLOAT, keep_dims: { b: false } }),
      op("y", "ConcatV2", ["mean", "max", "axis"], { T: FLOAT, N: { i: "2" } }),
    ],
    {
      f1: { shape: [3, 2, 2, 3], values: ramp(36, 0.7) },
      f2: { shape: [2, 2, 3, 2], values: ramp(24, 1.3) },
      f3: { shape: [3, 3, 6, 2], values: ramp(108, 0.4) },
      b3: { shape: [2], values: [0.1, -0.1] },
      axes: { shape: [2], values: [1, 2], dtype: "int32" },
      axis: { shape: [], values: [-1], dtype: "int32" },
    },
  );
  await agree(model, [{ name: "x:0", shape: [2, 7, 6, 2] }], ["y:0", "c2:0"]);
});
