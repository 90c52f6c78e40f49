import type { Servable } from "./servable";

/**
 * A Loader manages one servable version: it knows the model format and where the
 * version's files are. Construction is cheap and does no I/O; `load()` does the work.
 * The manager calls `estimateResources()` before loading, then `load()`, and `unload()`
 * once no request holds the version any more. A failed load may be tried again with a
 * second call of `load()` (see load-failure.ts for which failures are).
 */
export interface Loader {
  /** Upper bound of the memory the loaded version needs, in bytes. Never grows. */
  estimateResources(): Promise<ResourceEstimate>;
  /**
   * Loads the version. `signal` aborts when the version is no longer wanted: the loader
   * stops what it can (worker threads it was starting, above all), frees what it took,
   * and rejects. Rejects with a ServingError: UNAVAILABLE for a failure that may pass
   * (transient I/O), anything else for one that cannot.
   */
  load(signal: AbortSignal): Promise<Servable>;
  /** Frees everything `load()` took. Only called after a successful load. */
  unload(): Promise<void>;
}

export interface ResourceEstimate {
  /** Memory the loaded version needs at most. */
  ramBytes: number;
  /** The version's size on disk, when the loader knows it. */
  diskBytes?: number;
}
