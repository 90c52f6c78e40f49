import { ServingError } from "@servable/protocol";

/**
 * Which load failures are worth another attempt. A version whose files do not parse,
 * or contradict their own manifest, fails the same way every time: it ends at once.
 * Only a failure the loader marks transient — UNAVAILABLE, what an I/O error becomes —
 * is tried again (--max_num_load_retries times, --load_retry_interval_micros apart).
 * Anything else, a ServingError of another code or an exception no loader expected,
 * is permanent: retrying a TypeError only delays its report.
 */
export function isTransientLoadFailure(error: unknown): boolean {
  return error instanceof ServingError && error.code === "UNAVAILABLE" && error.retryable;
}

/** A load that may pass when tried again (the disk, the network, the host was busy). */
export function transientLoadFailure(message: string): ServingError {
  return new ServingError("UNAVAILABLE", message, true);
}

/** A version no longer aspired whose load was stopped, or never started. */
export function loadCancelled(): ServingError {
  return new ServingError("CANCELLED", "Version is no longer aspired", false);
}
