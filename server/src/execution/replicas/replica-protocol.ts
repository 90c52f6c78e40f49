import type { StatusCode, SignatureDefMap, TensorMap } from "@servable/protocol";
import type { FormatOptions } from "../../formats/model-format";
import type { EngineSettings } from "../version-runner";

/** Messages between a ReplicaPool and its worker threads. */

/** What a worker is started with (its workerData): the runtime it sets up before any model. */
export interface WorkerSetup {
  /** The TensorFlow.js backend the main thread chose. */
  readonly backend: string;
}

/** The version a warm worker is asked to load, and how it runs. */
export interface ReplicaSpec {
  /** The version directory to load. */
  readonly dir: string;
  /** The format the main thread's loader detected there (a worker does not detect again). */
  readonly format: string;
  readonly formatOptions: FormatOptions;
  readonly engine: EngineSettings;
}

export type ToReplica =
  | { readonly type: "load"; readonly spec: ReplicaSpec }
  | {
      readonly type: "run";
      readonly id: number;
      readonly signatureName: string;
      readonly inputs: TensorMap;
    }
  | { readonly type: "unload" };

export type FromReplica =
  /** The runtime is up: the worker waits for a "load". */
  | { readonly type: "warm" }
  | {
      readonly type: "loaded";
      readonly signatures: SignatureDefMap;
      readonly classLabels: Readonly<Record<string, readonly string[]>> | undefined;
      readonly runtime: string;
      readonly engineReason: string | undefined;
      readonly parsesExamples: boolean | undefined;
    }
  | { readonly type: "result"; readonly id: number; readonly outputs: TensorMap }
  | { readonly type: "failure"; readonly id: number; readonly error: TransferredError }
  | { readonly type: "load-failed"; readonly error: TransferredError }
  | { readonly type: "unloaded" };

export interface TransferredError {
  readonly code: Exclude<StatusCode, "OK">;
  readonly message: string;
  readonly retryable: boolean;
}

/** The buffers of a tensor map that can move to the other thread without a copy. */
export function transferables(tensors: TensorMap): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(tensors)) {
    if (Array.isArray(t.data)) continue;
    const view = t.data as ArrayBufferView;
    // Only whole, unshared buffers move; views into a larger buffer are copied.
    if (
      view.byteOffset === 0 &&
      view.byteLength === view.buffer.byteLength &&
      view.buffer instanceof ArrayBuffer
    ) {
      seen.add(view.buffer);
    }
  }
  return [...seen];
}
