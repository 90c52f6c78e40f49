import type { Loader, ResourceEstimate } from "../core/loader";
import {
  PREDICT_METHOD,
  tensorInfo,
  type SignatureDefMap,
  type TensorMap,
} from "@servable/protocol";
import type { Servable } from "../core/servable";

/**
 * Small Loaders for the core's own unit tests (TF Serving's core/test_util): they load
 * nothing from disk, and let a test decide when and how each load ends. Never a stand-in
 * for a part users run.
 */

/** A promise with its resolve and reject in hand. */
export class Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

const SIGNATURES: SignatureDefMap = {
  signature_def: {
    serving_default: {
      inputs: { x: tensorInfo("x:0", "DT_FLOAT", [-1]) },
      outputs: { y: tensorInfo("y:0", "DT_FLOAT", [-1]) },
      method_name: PREDICT_METHOD,
    },
  },
};

/** A servable that answers every input value with `value` (e.g. its version number). */
export class ConstantServable implements Servable {
  readonly signatures = SIGNATURES;
  readonly runtime = "test";

  constructor(readonly value: number) {}

  async run(_signatureName: string, inputs: TensorMap): Promise<TensorMap> {
    const rows = inputs.x?.shape[0] ?? 1;
    return {
      y: { dtype: "DT_FLOAT", shape: [rows], data: new Float32Array(rows).fill(this.value) },
    };
  }
}

/** Lets everything the manager can do now happen: `n` turns of the event loop, no clock. */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** What one call of `load()` does: succeed, or reject with this error. */
export type LoadOutcome = "ok" | Error;

export interface TestLoaderOptions {
  /** Value the loaded servable answers with (default 0). */
  value?: number;
  /** Bytes `estimateResources()` reports (default 1). */
  ramBytes?: number;
  /** Outcome of each successive load attempt; the last one repeats (default ["ok"]). */
  outcomes?: readonly LoadOutcome[];
  /** When true, each load waits until the test calls `finishLoad()` (or it is aborted). */
  manual?: boolean;
  /** When true, `estimateResources()` waits until the test calls `finishEstimate()`. */
  manualEstimate?: boolean;
}

/**
 * A Loader whose loads succeed or fail as scripted, and, when manual, end only when the
 * test says so or the manager aborts them. Counts calls, and knows whether its servable
 * is loaded right now.
 */
export class TestLoader implements Loader {
  loadCalls = 0;
  unloadCalls = 0;
  loaded = false;
  /** True once a load of this loader saw its signal abort. */
  aborted = false;
  /** Resolves when the next `load()` call starts (renewed after each start). */
  loadStarted = new Deferred();
  #gate: Deferred | undefined;
  readonly #estimateGate = new Deferred();

  constructor(private readonly options: TestLoaderOptions = {}) {
    if (!options.manualEstimate) this.#estimateGate.resolve();
  }

  async estimateResources(): Promise<ResourceEstimate> {
    await this.#estimateGate.promise;
    return { ramBytes: this.options.ramBytes ?? 1 };
  }

  /** Lets a manual estimate end. */
  finishEstimate(): void {
    this.#estimateGate.resolve();
  }

  async load(signal?: AbortSignal): Promise<Servable> {
    const outcomes = this.options.outcomes ?? ["ok"];
    const outcome = outcomes[Math.min(this.loadCalls, outcomes.length - 1)]!;
    this.loadCalls++;
    const started = this.loadStarted;
    this.loadStarted = new Deferred();
    if (this.options.manual) this.#gate = new Deferred();
    started.resolve();
    if (this.#gate) {
      const gate = this.#gate;
      const onAbort = () => {
        this.aborted = true;
        gate.reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await gate.promise;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    }
    if (outcome !== "ok") throw outcome;
    this.loaded = true;
    return new ConstantServable(this.options.value ?? 0);
  }

  /** Lets a manual load that is waiting end (with its scripted outcome). */
  finishLoad(): void {
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.resolve();
  }

  async unload(): Promise<void> {
    this.unloadCalls++;
    this.loaded = false;
  }
}

/**
 * A manual TestLoader that ignores its abort signal, as a loader whose work cannot be
 * stopped half-way does: its load ends only when the test says so.
 */
export class UnstoppableLoader extends TestLoader {
  constructor(options: TestLoaderOptions = {}) {
    super({ ...options, manual: true });
  }

  override load(): Promise<Servable> {
    return super.load(undefined);
  }
}
