import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { onnxFormatOptions, sessionOptions } from "./session-options";

test("threads default to the cores shared among a version's replicas", () => {
  const cores = availableParallelism();
  const flags = { onnx_intra_op_threads: 0, onnx_graph_optimization_level: "all" };
  assert.equal(onnxFormatOptions(flags, 0).onnx.intraOpThreads, cores);
  assert.equal(onnxFormatOptions(flags, 1).onnx.intraOpThreads, cores);
  assert.equal(onnxFormatOptions(flags, cores).onnx.intraOpThreads, 1);
  assert.equal(onnxFormatOptions(flags, cores * 4).onnx.intraOpThreads, 1);
  const set = { onnx_intra_op_threads: 3, onnx_graph_optimization_level: "basic" };
  assert.deepEqual(onnxFormatOptions(set, 2).onnx, {
    intraOpThreads: 3,
    graphOptimizationLevel: "basic",
  });
});

test("session options carry the settings, with onnxruntime's choices when there are none", () => {
  const options = sessionOptions({
    savedModelTags: [],
    onnx: { intraOpThreads: 2, graphOptimizationLevel: "extended" },
  });
  assert.equal(options.intraOpNumThreads, 2);
  assert.equal(options.graphOptimizationLevel, "extended");
  assert.equal(options.interOpNumThreads, 1);
  const defaults = sessionOptions({ savedModelTags: [] });
  assert.equal(defaults.intraOpNumThreads, 0);
  assert.equal(defaults.graphOptimizationLevel, "all");
});
