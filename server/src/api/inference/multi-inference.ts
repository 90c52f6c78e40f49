import {
  CLASSIFY_METHOD,
  DEFAULT_SIGNATURE,
  invalidArgument,
  own,
  REGRESS_METHOD,
  unimplemented,
  type ExampleList,
  type TensorMap,
} from "@servable/protocol";
import type { RunOptions, Servable } from "../../core/servable";
import {
  checkSignature,
  exampleRequest,
  type ExampleMethod,
  type ExampleRequest,
} from "./example-inference";
import type { InferencePlan, ModelView } from "./inference-lifecycle";
import { newTensorMap } from "./tensor-map";

/**
 * MultiInference (TF Serving's multi_inference.cc): several classify and regress tasks,
 * each a signature of one model version, on one list of tf.Examples. The first task's
 * ModelSpec picks the version; every task must name the same model.
 */

export interface InferenceTaskSpec {
  readonly modelName: string;
  /** As the task gives it ("" for the default). */
  readonly signatureName: string;
  readonly methodName: string;
}

export interface MultiInferenceTask {
  readonly method: ExampleMethod;
  readonly request: ExampleRequest;
}

export interface MultiInferencePlan extends InferencePlan {
  readonly numExamples: number;
  readonly tasks: readonly MultiInferenceTask[];
}

/**
 * Checks every task in TF Serving's order, then reads the examples and builds each task's
 * inputs.
 * @throws ServingError INVALID_ARGUMENT, or UNIMPLEMENTED for a method that is neither
 * classify nor regress, with TF Serving's texts
 */
export function multiInferencePlan(
  readList: () => ExampleList,
  tasks: readonly InferenceTaskSpec[],
  servable: ModelView,
): MultiInferencePlan {
  const seen = new Set<string>();
  const methods: ExampleMethod[] = [];
  const model = tasks[0]?.modelName;
  for (const task of tasks) {
    if (!task.modelName) throw invalidArgument("Found ModelSpec with an empty model name.");
    if (task.modelName !== model) {
      throw invalidArgument(
        "All ModelSpecs in a MultiInferenceRequest must access the same model name.",
      );
    }
    const name = task.signatureName || DEFAULT_SIGNATURE;
    if (seen.has(name)) throw invalidArgument(`Duplicate evaluation of signature: ${name}`);
    seen.add(name);
    const signature = own(servable.signatures.signature_def, name);
    if (!signature) {
      throw invalidArgument(`Requested signature not found in model graph: ${name}`);
    }
    const method = exampleMethod(task.methodName);
    checkSignature(signature, servable, method);
    methods.push(method);
  }
  // TF Serving reads the input after it checked every task.
  const list = readList();
  const planned = tasks.map((task, i) => ({
    method: methods[i]!,
    request: exampleRequest(list, task.signatureName || DEFAULT_SIGNATURE, servable, methods[i]!),
  }));
  const first = planned[0]?.request;
  if (!first) throw invalidArgument("MultiInferenceRequest has no tasks");
  return {
    signatureName: first.signatureName,
    inputs: first.inputs,
    numExamples: first.numExamples,
    tasks: planned,
  };
}

function exampleMethod(methodName: string): ExampleMethod {
  if (methodName === CLASSIFY_METHOD) return "classify";
  if (methodName === REGRESS_METHOD) return "regress";
  throw unimplemented(`Unsupported signature method_name: ${methodName}`);
}

/** Runs every task's signature on the version; the outputs of task i under `taskOutputKey(i, key)`. */
export async function runTasks(
  servable: Servable,
  plan: MultiInferencePlan,
  options: RunOptions,
): Promise<TensorMap> {
  const results = await Promise.all(
    plan.tasks.map((task) =>
      servable.run(task.request.signatureName, task.request.inputs, {
        deadline: options.deadline,
      }),
    ),
  );
  const merged = newTensorMap();
  results.forEach((outputs, i) => {
    for (const [key, tensor] of Object.entries(outputs)) merged[taskOutputKey(i, key)] = tensor;
  });
  return merged;
}

/** The outputs of one task, from what `runTasks` answered. */
export function taskOutputs(outputs: TensorMap, index: number): TensorMap {
  const prefix = taskOutputKey(index, "");
  const mine = newTensorMap();
  for (const [key, tensor] of Object.entries(outputs)) {
    if (key.startsWith(prefix)) mine[key.slice(prefix.length)] = tensor;
  }
  return mine;
}

function taskOutputKey(index: number, key: string): string {
  return `${index}\u0000${key}`;
}
