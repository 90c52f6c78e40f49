import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { onnxSettings, sessionOptions } from "./session-options";

test("threads default to the cores shared among a version's replicas", () => {
  const cores = availableParallelism();
  const flags = { onnx_intra_op_threads: 0, onnx_graph_optimization_level: "all" };
  assert.equal(onnxSettings(flags, 0).intraOpThreads, cores);
  assert.equal(onnxSettings(flags, 1).intraOpThreads, cores);
  assert.equal(onnxSettings(flags, cores).intraOpThreads, 1);
  assert.equal(onnxSettings(flags, cores * 4).intraOpThreads, 1);
  const set = { onnx_intra_op_threads: 3, onnx_graph_optimization_level: "basic" };
  assert.deepEqual(onnxSettings(set, 2), {
    intraOpThreads: 3,
    graphOptimizationLevel: "basic",
  });
});

test("session options carry the settings, with onnxruntime's choices when there are none", () => {
  const options = sessionOptions({ intraOpThreads: 2, graphOptimizationLevel: "extended" });
  assert.equal(options.intraOpNumThreads, 2);
  assert.equal(options.graphOptimizationLevel, "extended");
  assert.equal(options.interOpNumThreads, 1);
  const defaults = sessionOptions();
  assert.equal(defaults.intraOpNumThreads, 0);
  assert.equal(defaults.graphOptimizationLevel, "all");
});
