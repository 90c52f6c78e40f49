import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { example, rejectsWith, unary, demoOverGrpc } from "../support";

/**
 * PredictionService.MultiInference as TF Serving serves it (multi_inference.cc): classify
 * and regress tasks, signatures of one model version, on one list of tf.Examples, with TF
 * Serving's checks and texts.
 */
const served = demoOverGrpc();

const CLASSIFY = "tensorflow/serving/classify";
const REGRESS = "tensorflow/serving/regress";
const task = (signature_name: string, method_name: string, name = "half_plus_two") => ({
  model_spec: { name, signature_name },
  method_name,
});
const input = { example_list: { examples: [example({ x: 1 }), example({ x: 2 })] } };
const multi = <T = unknown>(request: unknown) =>
  unary<T>(served.clients.prediction, "MultiInference", request);

interface Result {
  model_spec: { name: string; signature_name: string; version: { value: string } };
  classification_result?: { classifications: { classes: { score: number }[] }[] };
  regression_result?: { regressions: { value: number }[] };
}

test("classify and regress tasks on one input answer in the tasks' order", async () => {
  const { results } = await multi<{ results: Result[] }>({
    tasks: [task("classify_x_to_y", CLASSIFY), task("regress_x_to_y2", REGRESS)],
    input,
  });
  assert.equal(results.length, 2);
  const spec = results[0]!.model_spec;
  assert.equal(spec.name, "half_plus_two");
  assert.equal(spec.signature_name, "classify_x_to_y");
  assert.equal(spec.version.value, "1");
  assert.deepEqual(
    results[0]!.classification_result!.classifications.map((c) => c.classes.map((k) => k.score)),
    [[2.5], [3]],
  );
  assert.equal(results[1]!.model_spec.signature_name, "regress_x_to_y2");
  assert.deepEqual(
    results[1]!.regression_result!.regressions.map((r) => r.value),
    [3.5, 4],
  );
  assert.equal(results[1]!.classification_result, undefined);
});

test("the first task's ModelSpec picks the version; a context joins every example", async () => {
  const { results } = await multi<{ results: Result[] }>({
    tasks: [
      {
        model_spec: {
          name: "half_plus_two",
          version: { value: 1 },
          signature_name: "regress_x_to_y",
        },
        method_name: REGRESS,
      },
    ],
    input: { example_list_with_context: { context: example({ x: 6 }), examples: [{}] } },
  });
  assert.equal(results[0]!.model_spec.version.value, "1");
  assert.deepEqual(
    results[0]!.regression_result!.regressions.map((r) => r.value),
    [5],
  );
});

test("TF Serving's checks, with its codes and texts", async () => {
  const { INVALID_ARGUMENT, UNIMPLEMENTED, NOT_FOUND } = grpc.status;
  const regress = task("regress_x_to_y", REGRESS);
  const checks: { tasks: unknown[]; input?: unknown; code: grpc.status; details: string }[] = [
    { tasks: [], code: INVALID_ARGUMENT, details: "ModelSpec has no name specified." },
    {
      tasks: [task("regress_x_to_y", REGRESS, "nope")],
      code: NOT_FOUND,
      details: "Servable not found for request: Latest(nope)",
    },
    {
      tasks: [regress, task("classify_x_to_y", CLASSIFY, "")],
      code: INVALID_ARGUMENT,
      details: "Found ModelSpec with an empty model name.",
    },
    {
      tasks: [regress, task("classify_x_to_y", CLASSIFY, "other")],
      code: INVALID_ARGUMENT,
      details: "All ModelSpecs in a MultiInferenceRequest must access the same model name.",
    },
    {
      tasks: [regress, task("regress_x_to_y", CLASSIFY)],
      code: INVALID_ARGUMENT,
      details: "Duplicate evaluation of signature: regress_x_to_y",
    },
    {
      tasks: [regress, task("nope_sig", CLASSIFY)],
      code: INVALID_ARGUMENT,
      details: "Requested signature not found in model graph: nope_sig",
    },
    {
      tasks: [task("regress_x_to_y", "tensorflow/serving/predict")],
      code: UNIMPLEMENTED,
      details: "Unsupported signature method_name: tensorflow/serving/predict",
    },
    // The tasks are checked before the input is read.
    {
      tasks: [task("nope_sig", CLASSIFY)],
      input: {},
      code: INVALID_ARGUMENT,
      details: "Requested signature not found in model graph: nope_sig",
    },
    {
      tasks: [task("classify_x_to_y", CLASSIFY)],
      input: { example_list: { examples: [] } },
      code: INVALID_ARGUMENT,
      details: "Input is empty.",
    },
  ];
  for (const check of checks) {
    await rejectsWith(
      multi({ tasks: check.tasks, input: check.input ?? input }),
      check.code,
      check.details,
    );
  }
  await assert.rejects(
    multi({ tasks: [task("classify_x_to_y", CLASSIFY), task("", REGRESS)], input }),
    (e: grpc.ServiceError) =>
      e.code === INVALID_ARGUMENT &&
      e.details.startsWith('No regression inputs found in SignatureDef: inputs {\n  key: "x"\n'),
  );
});
