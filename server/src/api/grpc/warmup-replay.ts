import {
  CLASSIFY_METHOD,
  invalidArgument,
  own,
  REGRESS_METHOD,
  type PredictionLog,
} from "@servable/protocol";
import type { Servable } from "../../core/servable";
import {
  classificationResults,
  regressionResults,
  type ExampleMethod,
} from "../inference/example-inference";
import { decodeExamples, decodePredict, type ExampleRequestMessage } from "./grpc-codec";

/**
 * Replays one warmup record (a PredictionLog) against a loading version, as TF Serving's
 * saved_model_warmup.cc does: the logged request is decoded by the gRPC codec, with the
 * checks a real request gets, run, and its outputs read as the answer would read them.
 * The answer itself is dropped. A log with no request in it is skipped, as there.
 * @throws ServingError: the request's error, which fails the load.
 */
export async function replayWarmupRecord(
  log: PredictionLog,
  model: Servable,
  run: Servable["run"],
): Promise<void> {
  if (log.predict_log) {
    const plan = decodePredict(log.predict_log.request ?? {}, model);
    await run(plan.signatureName, plan.inputs, { outputKeys: plan.outputKeys });
  } else if (log.classify_log) {
    await runExamples(log.classify_log.request ?? {}, "classify", model, run);
  } else if (log.regress_log) {
    await runExamples(log.regress_log.request ?? {}, "regress", model, run);
  } else if (log.multi_inference_log) {
    const { tasks = [], input } = log.multi_inference_log.request ?? {};
    for (const task of tasks) {
      const method = exampleMethod(task.method_name);
      await runExamples({ model_spec: task.model_spec, input }, method, model, run);
    }
  }
}

async function runExamples(
  request: ExampleRequestMessage,
  method: ExampleMethod,
  model: Servable,
  run: Servable["run"],
): Promise<void> {
  const plan = decodeExamples(request, method, model);
  const outputs = await run(plan.signatureName, plan.inputs);
  if (method === "regress") regressionResults(outputs, plan);
  else classificationResults(outputs, plan, own(model.classLabels, plan.signatureName));
}

function exampleMethod(methodName: string | undefined): ExampleMethod {
  if (methodName === CLASSIFY_METHOD) return "classify";
  if (methodName === REGRESS_METHOD) return "regress";
  throw invalidArgument(`Unsupported signature method_name: ${methodName ?? ""}`);
}
