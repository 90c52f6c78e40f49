import { own, toServingError, type TensorMap } from "@servable/protocol";
import type { ServableHandle } from "../../core/servable-handle";
import { classificationResults, type ClassResult } from "../inference/example-inference";
import type { ShadowRequest } from "../inference/version-resolver";
import { compareOutputs, compareTopClasses, type Comparison } from "./output-comparison";

/**
 * Shadow traffic: a request stable has answered, run again on the candidate once the
 * client has its answer, and the two outputs compared (output-comparison.ts).
 *
 * Shadow work is what the server gives up first: at most `maxInFlight` shadow runs at a
 * time (queued ones included); beyond that, and when the candidate is not loaded here, a
 * run is dropped and counted, never waited for. Nothing here can fail or delay the
 * client's request: it has been answered already, and every error ends as a result.
 */
export interface ShadowJob {
  readonly model: string;
  readonly candidate: number;
  readonly request: ShadowRequest;
  /** Stable's class labels of the request's signature (classify with a labels-less model). */
  readonly stableClassLabels?: readonly string[];
}

export type ShadowResult =
  | { readonly kind: "dropped" }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "compared"; readonly comparison: Comparison; readonly latencyMs: number };

export interface ShadowRunsOptions {
  /** The candidate's handle, or undefined when it is not AVAILABLE here. */
  readonly acquire: (model: string, version: number) => ServableHandle | undefined;
  readonly maxInFlight: number;
  /** How long a shadow run may wait for the candidate's runner before it is dropped there. */
  readonly timeoutMs: number;
  readonly onResult: (job: ShadowJob, result: ShadowResult) => void;
  /** Runs the job later (default: after the current I/O, so after the answer is written). */
  readonly later?: (run: () => void) => void;
}

export class ShadowRuns {
  #inFlight = 0;

  constructor(private readonly options: ShadowRunsOptions) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  submit(job: ShadowJob): void {
    if (this.#inFlight >= this.options.maxInFlight) {
      this.options.onResult(job, { kind: "dropped" });
      return;
    }
    this.#inFlight++;
    const later = this.options.later ?? ((run: () => void) => void setImmediate(run));
    later(() => {
      void this.#run(job)
        .then((result) => this.options.onResult(job, result))
        .finally(() => this.#inFlight--);
    });
  }

  async #run(job: ShadowJob): Promise<ShadowResult> {
    const handle = this.options.acquire(job.model, job.candidate);
    if (!handle) return { kind: "dropped" };
    const { request } = job;
    try {
      const started = performance.now();
      const outputs = await handle.servable.run(request.signatureName, request.inputs, {
        outputKeys: request.outputKeys,
        deadline: started + this.options.timeoutMs,
      });
      const latencyMs = performance.now() - started;
      const comparison = request.classify
        ? compareClasses(job, outputs, own(handle.servable.classLabels, request.signatureName))
        : compareOutputs(request.outputs, outputs);
      return { kind: "compared", comparison, latencyMs };
    } catch (error) {
      return { kind: "error", message: toServingError(error).message };
    } finally {
      handle.release();
    }
  }
}

/** Top classes, read as the classify answer reads them (labels from the outputs or the signature). */
function compareClasses(
  job: ShadowJob,
  candidate: TensorMap,
  candidateLabels: readonly string[] | undefined,
): Comparison {
  const { request } = job;
  const results = (outputs: TensorMap, labels: readonly string[] | undefined): ClassResult[][] =>
    classificationResults(
      outputs,
      {
        signatureName: request.signatureName,
        numExamples: request.numExamples ?? 0,
        inputs: request.inputs,
        signature: { inputs: {}, outputs: {}, method_name: "" },
      },
      labels,
    );
  return compareTopClasses(
    results(request.outputs, job.stableClassLabels),
    results(candidate, candidateLabels),
    compareOutputs(request.outputs, candidate),
  );
}
