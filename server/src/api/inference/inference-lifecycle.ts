import type { Logger } from "pino";
import {
  EXAMPLES_INPUT,
  own,
  takesSerializedExamples,
  toServingError,
  type ServingError,
  type SignatureDef,
  type TensorMap,
} from "@servable/protocol";
import type { RunOptions, Servable } from "../../core/servable";
import type { ServableHandle } from "../../core/servable-handle";
import type { ModelSpec } from "../../core/server-core";
import type { RequestRecord, ServingMetrics } from "../metrics";
import type { RequestLog } from "../request-log/request-log";
import type { RequestDeadline } from "./request-deadline";
import { copyTensors } from "./tensor-map";
import type { RoutedOutcome, RoutedRequest, VersionResolver } from "./version-resolver";

/**
 * The one life of an inference request, whichever protocol brought it (REST v1, KServe
 * V2, gRPC):
 *
 *   resolve the version → decode the request against it → run (until the deadline)
 *   → encode the outputs → record the metrics → release the version
 *   (→ write the request log, when its model logs this request: after the answer)
 *
 * A protocol contributes only its codec (`InferenceCall.decode` and `encode`). Errors are
 * ServingErrors; the caller turns them into its protocol's status, in one place each.
 */

/** What a codec decoded: the signature to run, its inputs, and the outputs to keep. */
export interface InferencePlan {
  readonly signatureName: string;
  readonly inputs: TensorMap;
  /** All of the signature's outputs when absent. */
  readonly outputKeys?: readonly string[];
  /** tf.Examples in the request (classify, regress), for the example-count metric. */
  readonly numExamples?: number;
}

/**
 * What a codec may read of a version to decode a request: its signatures, and whether it
 * parses tf.Examples itself. Plain data, so a worker thread can decode with it too.
 */
export type ModelView = Pick<Servable, "signatures" | "parsesExamples">;

export type InferenceApi = "predict" | "classify" | "regress" | "multi_inference" | "infer";

export interface InferenceCall<P extends InferencePlan, R> {
  readonly spec: ModelSpec;
  readonly api: InferenceApi;
  readonly entrypoint: "REST" | "GRPC";
  readonly deadline?: RequestDeadline;
  /** The client's routing key (a rollout's sticky split), if it sent one. */
  readonly routingKey?: string;
  /** Hears the version the request resolved to, before it runs (REST's version header). */
  onResolved?(version: number): void;
  /**
   * The request against the resolved version's signatures. Without a version (it did not
   * resolve) it checks what the request says on its own and returns undefined: as in TF
   * Serving, a malformed body is the answer even when the model does not exist.
   */
  decode(servable: Servable | undefined): P | undefined | Promise<P | undefined>;
  /** The protocol's answer from the outputs. */
  encode(outputs: TensorMap, plan: P, handle: ServableHandle): R | Promise<R>;
  /**
   * Runs a plan that is more than the one signature run (MultiInference's tasks, each a
   * signature of the same version); by default the version runs the plan's signature.
   */
  run?(servable: Servable, plan: P, options: RunOptions): Promise<TensorMap>;
}

export class InferenceLifecycle {
  constructor(
    private readonly resolver: VersionResolver,
    private readonly metrics: ServingMetrics,
    private readonly logger: Logger,
    private readonly requestLog?: RequestLog,
  ) {}

  /** @throws ServingError: the request's error, with TF Serving's code and text. */
  async infer<P extends InferencePlan, R>(call: InferenceCall<P, R>): Promise<R> {
    const started = performance.now();
    const record: RequestRecord = {
      model: call.spec.name,
      version: "",
      api: call.api,
      status: "OK",
      latencyUs: 0,
      entrypoint: call.entrypoint,
    };
    const rollout: RolloutProgress = { failedWhileRunning: false };
    try {
      const work = this.#work(call, record, rollout);
      return await (call.deadline ? call.deadline.race(work) : work);
    } catch (thrown) {
      const error = toServingError(thrown);
      record.status = error.code;
      if (error.code === "UNKNOWN" || error.code === "INTERNAL") {
        this.logger.error({ model: call.spec.name, err: error.message }, "Inference failed");
      }
      throw error;
    } finally {
      record.latencyUs = (performance.now() - started) * 1000;
      this.metrics.record(record);
      rollout.routed?.finish({
        status: record.status as RoutedOutcome["status"],
        latencyMs: record.latencyUs / 1000,
        failedWhileRunning: rollout.failedWhileRunning,
        shadow: record.status === "OK" ? rollout.shadow : undefined,
      });
    }
  }

  async #work<P extends InferencePlan, R>(
    call: InferenceCall<P, R>,
    record: RequestRecord,
    rollout: RolloutProgress,
  ): Promise<R> {
    let handle: ServableHandle | undefined;
    let lookupError: ServingError | undefined;
    try {
      const resolution = this.resolver.route(call.spec, call.routingKey);
      handle = resolution.handle;
      rollout.routed = resolution.routed;
      call.onResolved?.(handle.id.version);
    } catch (error) {
      lookupError = toServingError(error);
      // Metrics name the models the server knows, not every name a client makes up.
      if (!this.resolver.knows(call.spec.name)) record.model = "";
    }
    let running: Promise<TensorMap> | undefined;
    try {
      const plan = await call.decode(handle?.servable);
      if (!handle || !plan) throw lookupError ?? new Error("The codec decoded no request");
      record.version = String(handle.id.version);
      if (plan.numExamples !== undefined) record.examples = plan.numExamples;
      call.deadline?.throwIfExpired();

      const servable = handle.servable;
      // The runner may take the inputs (to a worker thread): a shadow run needs its own.
      // A shadow run or a log record repeats one signature, so a plan of several runs has none.
      const shadowInputs =
        rollout.routed?.shadowed && !call.run ? copyTensors(plan.inputs) : undefined;
      const logging =
        call.api === "infer" || call.run ? undefined : this.requestLog?.sample(handle.id.name);
      const loggedInputs = logging && copyTensors(plan.inputs);
      const t0 = performance.now();
      const options: RunOptions = { deadline: call.deadline?.at, outputKeys: plan.outputKeys };
      running = call.run
        ? call.run(servable, plan, options)
        : servable.run(plan.signatureName, plan.inputs, options);
      const outputs = await running.catch((error: unknown) => {
        rollout.failedWhileRunning = true;
        throw error;
      });
      record.runtimeUs = (performance.now() - t0) * 1000;
      record.runtime = servable.runtime;
      if (shadowInputs) {
        rollout.shadow = {
          classify: call.api === "classify",
          signatureName: plan.signatureName,
          inputs: shadowInputs,
          outputKeys: plan.outputKeys,
          numExamples: plan.numExamples,
          outputs: copyTensors(outputs),
        };
      }
      call.deadline?.throwIfExpired();
      // The encoder may take the outputs (to a worker thread) as well.
      const loggedOutputs = logging && copyTensors(outputs);
      const answer = await call.encode(outputs, plan, handle);
      if (logging && loggedInputs && loggedOutputs) {
        const example = call.api === "predict" ? undefined : (plan as unknown as ExamplePlan);
        this.requestLog!.write(logging, {
          api: call.api as "predict" | "classify" | "regress",
          model: handle.id.name,
          version: handle.id.version,
          signatureName: plan.signatureName,
          inputs: loggedInputs,
          outputs: loggedOutputs,
          outputKeys: plan.outputKeys,
          signature: example?.signature,
          numExamples: example?.numExamples,
          serializedExamples:
            example !== undefined &&
            own(loggedInputs, EXAMPLES_INPUT)?.dtype === "DT_STRING" &&
            (servable.parsesExamples === true || takesSerializedExamples(example.signature)),
          classLabels: own(servable.classLabels, plan.signatureName),
          samplingRate: logging.samplingRate,
          timestampSecs: Math.floor(Date.now() / 1000),
        });
      }
      return answer;
    } finally {
      // A request its deadline answered still holds the version until the model is done.
      if (handle) {
        const release = handle.release.bind(handle);
        if (running) running.then(release, release);
        else release();
      }
    }
  }
}

/** What a request tells the rollout that routed it, gathered along its way. */
interface RolloutProgress {
  routed?: RoutedRequest;
  failedWhileRunning: boolean;
  shadow?: RoutedOutcome["shadow"];
}

/** What a classify or regress plan holds besides its tensors (example-inference.ts). */
interface ExamplePlan {
  readonly signature: SignatureDef;
  readonly numExamples: number;
}
