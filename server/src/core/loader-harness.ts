import type { Servable } from "./servable";
import type { HarnessState } from "./aspired-version-policy";
import { toServingError, type ServingError } from "@servable/protocol";
import type { Loader, ResourceEstimate } from "./loader";
import type { ServableId } from "./servable-id";

export interface RetryOptions {
  /** Retries after the first failed load (TF Serving's --max_num_load_retries). */
  maxNumLoadRetries: number;
  /** Wait between attempts (TF Serving's --load_retry_interval_micros, in ms here). */
  loadRetryIntervalMs: number;
}

/**
 * Owns one version's Loader and walks it through its states: new -> loading -> ready ->
 * quiescing -> unloading -> disabled, or -> error when every load attempt failed. Counts
 * the requests that hold the loaded servable so an unload waits for them to finish.
 * Only the manager drives a harness; it reports each change through `onChange`.
 */
export class LoaderHarness {
  #state: HarnessState = "new";
  #since = Date.now();
  #servable: Servable | undefined;
  #error: ServingError | undefined;
  #estimate: ResourceEstimate | undefined;
  #inFlight = 0;
  #quiesced: (() => void) | undefined;
  #cancelRetry: (() => void) | undefined;
  #retriesCancelled = false;
  isAspired = true;

  constructor(
    readonly id: ServableId,
    private readonly loader: Loader,
    private readonly options: RetryOptions,
    private readonly onChange: (harness: LoaderHarness) => void,
  ) {}

  get state(): HarnessState {
    return this.#state;
  }
  /** When the harness entered its current state (ms since the epoch). */
  get since(): number {
    return this.#since;
  }
  get error(): ServingError | undefined {
    return this.#error;
  }
  get estimate(): ResourceEstimate | undefined {
    return this.#estimate;
  }
  /** The loaded servable; only while the state is ready. */
  get servable(): Servable | undefined {
    return this.#state === "ready" ? this.#servable : undefined;
  }

  async estimateResources(): Promise<ResourceEstimate> {
    this.#estimate ??= await this.loader.estimateResources();
    return this.#estimate;
  }

  /**
   * Loads, retrying failures that may pass (ServingError.retryable) as configured, until
   * it succeeds, the retries run out, or `cancelLoadRetry()` is called.
   */
  async load(): Promise<void> {
    this.#setState("loading");
    for (let attempt = 0; ; attempt++) {
      try {
        this.#servable = await this.loader.load();
        this.#setState("ready");
        return;
      } catch (thrown) {
        const error = toServingError(thrown);
        const mayRetry =
          error.retryable &&
          attempt < this.options.maxNumLoadRetries &&
          !this.#retriesCancelled &&
          (await this.#waitForRetry());
        if (!mayRetry) {
          this.fail(error);
          return;
        }
      }
    }
  }

  /** Puts a version that will not load (or must not) into its final error state. */
  fail(error: ServingError): void {
    this.#error = error;
    this.#setState("error");
  }

  /** Stops waiting for a load retry: the pending load fails with its last error. */
  cancelLoadRetry(): void {
    this.#retriesCancelled = true;
    this.#cancelRetry?.();
  }

  /** Takes a reference for one request; undefined unless ready. */
  acquire(): Servable | undefined {
    if (this.#state !== "ready") return undefined;
    this.#inFlight++;
    return this.#servable;
  }

  release(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) this.#quiesced?.();
  }

  /** Stops new requests, waits for the running ones, then unloads. */
  async unload(): Promise<void> {
    this.#setState("quiescing");
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => (this.#quiesced = resolve));
    }
    this.#setState("unloading");
    try {
      await this.loader.unload();
    } finally {
      this.#servable = undefined;
      this.#setState("disabled");
    }
  }

  #waitForRetry(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(true), this.options.loadRetryIntervalMs);
      const finish = (retry: boolean): void => {
        clearTimeout(timer);
        this.#cancelRetry = undefined;
        resolve(retry && !this.#retriesCancelled);
      };
      this.#cancelRetry = () => finish(false);
    });
  }

  #setState(state: HarnessState): void {
    this.#state = state;
    this.#since = Date.now();
    this.onChange(this);
  }
}
