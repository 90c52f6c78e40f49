import type { Servable } from "./servable";
import type { HarnessState } from "./aspired-version-policy";
import { toServingError, type ServingError } from "@servable/protocol";
import type { Loader, ResourceEstimate } from "./loader";
import { isTransientLoadFailure, loadCancelled } from "./load-failure";
import type { ServableId } from "./servable-id";

export interface RetryOptions {
  /** Retries after the first failed load (TF Serving's --max_num_load_retries). */
  maxNumLoadRetries: number;
  /** Wait between attempts (TF Serving's --load_retry_interval_micros, in ms here). */
  loadRetryIntervalMs: number;
}

/** Refuses a load before it starts (the memory it needs is not free), or lets it go. */
export type LoadAdmission = (estimate: ResourceEstimate) => ServingError | undefined;

/**
 * Owns one version's Loader and walks it through its states: new -> loading -> ready ->
 * quiescing -> unloading -> disabled, or -> error when the load failed for good. A load
 * that failed transiently waits in `retrying` (still LOADING to clients) holding no load
 * slot: the manager starts the next attempt once `retryAt` has come. Counts the requests
 * that hold the loaded servable so an unload waits for them to finish.
 * Only the manager drives a harness; it reports each change through `onChange`.
 */
export class LoaderHarness {
  #state: HarnessState = "new";
  #since = Date.now();
  #servable: Servable | undefined;
  #error: ServingError | undefined;
  #estimate: ResourceEstimate | undefined;
  #attempts = 0;
  #retryAt: number | undefined;
  #inFlight = 0;
  #quiesced: (() => void) | undefined;
  readonly #abort = new AbortController();
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
  /** When the next load attempt is due (ms since the epoch), while `retrying`. */
  get retryAt(): number | undefined {
    return this.#state === "retrying" ? this.#retryAt : undefined;
  }
  /** True once the version is no longer wanted: a load under way ends in `error`. */
  get cancelled(): boolean {
    return this.#abort.signal.aborted;
  }
  /** The loaded servable; only while the state is ready. */
  get servable(): Servable | undefined {
    return this.#state === "ready" ? this.#servable : undefined;
  }

  /**
   * One load attempt, from `new` or `retrying`. Ends `ready`; `retrying` after a
   * transient failure with retries left; `error` otherwise. Never rejects.
   */
  async load(admit: LoadAdmission = () => undefined): Promise<void> {
    this.#setState("loading");
    this.#attempts++;
    let servable: Servable;
    try {
      const refusal = admit(await this.estimateResources());
      if (refusal) return this.fail(refusal);
      if (this.cancelled) return this.fail(loadCancelled());
      servable = await this.loader.load(this.#abort.signal);
    } catch (thrown) {
      const error = this.cancelled ? loadCancelled() : toServingError(thrown);
      const mayRetry =
        isTransientLoadFailure(error) && this.#attempts <= this.options.maxNumLoadRetries;
      if (!mayRetry) return this.fail(error);
      this.#error = error;
      this.#retryAt = Date.now() + this.options.loadRetryIntervalMs;
      return this.#setState("retrying");
    }
    if (this.cancelled) return this.#discard();
    this.#servable = servable;
    this.#setState("ready");
  }

  async estimateResources(): Promise<ResourceEstimate> {
    this.#estimate ??= await this.loader.estimateResources();
    return this.#estimate;
  }

  /** Puts a version that will not load (or must not) into its final error state. */
  fail(error: ServingError): void {
    this.#error = error;
    this.#setState("error");
  }

  /**
   * The version is no longer wanted. A load under way is aborted (or, if it completes
   * anyway, unloaded at once: it never serves); a wait for a retry ends with the last
   * failure. A loaded version is left to the policy.
   */
  cancel(): void {
    if (this.#state === "retrying") this.fail(this.#error!);
    if (this.#state === "new" || this.#state === "loading") this.#abort.abort(loadCancelled());
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

  /** Unloads what a cancelled load produced anyway; the version ends CANCELLED. */
  async #discard(): Promise<void> {
    this.#setState("unloading");
    try {
      await this.loader.unload();
    } catch {
      // The version ends CANCELLED either way; the loader logs its own failures.
    }
    this.fail(loadCancelled());
  }

  #setState(state: HarnessState): void {
    this.#state = state;
    this.#since = Date.now();
    this.onChange(this);
  }
}
