import type { Servable } from "./servable";

/**
 * A Loader manages one servable version: it knows the model format and where the
 * version's files are. Construction is cheap and does no I/O; `load()` does the work.
 * The manager calls `estimateResources()` before loading, then `load()`, and `unload()`
 * once no request holds the version any more. A loader is used for one load at most
 * (a retry calls `load()` again after a failure).
 */
export interface Loader {
  /** Upper bound of the memory the loaded version needs, in bytes. Never grows. */
  estimateResources(): Promise<ResourceEstimate>;
  /** Loads the version. Rejects with a ServingError (retryable or not) on failure. */
  load(): Promise<Servable>;
  /** Frees everything `load()` took. Only called after a successful load. */
  unload(): Promise<void>;
}

export interface ResourceEstimate {
  /** Memory the loaded version needs at most. */
  ramBytes: number;
  /** The version's size on disk, when the loader knows it. */
  diskBytes?: number;
}
