import { deadlineExceeded, type ServingError } from "@servable/protocol";

/**
 * When the caller of one request stops waiting. REST gives every inference request the
 * same time from its arrival (--rest_api_timeout_in_ms: reading, parsing, running and
 * writing); a gRPC call brings its own deadline, and a client that hangs up ends it early.
 * Whoever waits on the request's work races it against the deadline (`race`); whoever
 * answers settles it, after which it never fires.
 */
export class RequestDeadline {
  #expired: ServingError | undefined;
  #settled = false;
  #listeners: ((error: ServingError) => void)[] | undefined;
  #onSettle: (() => void) | undefined;

  /** `at` is a `performance.now()` time (what RunOptions.deadline takes). */
  constructor(readonly at: number) {}

  /** The error the request ended with once the deadline passed (or the caller left). */
  get expired(): ServingError | undefined {
    return this.#expired;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Ends the wait: DEADLINE_EXCEEDED, or `error` (CANCELLED when the caller went away). */
  expire(error: ServingError = deadlineExceeded("Deadline Exceeded")): void {
    if (this.#settled || this.#expired) return;
    this.#expired = error;
    const listeners = this.#listeners ?? [];
    this.#listeners = undefined;
    for (const listener of listeners) listener(error);
  }

  /** The request was answered: the deadline no longer matters. */
  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#listeners = undefined;
    this.#onSettle?.();
  }

  /** Calls `listener` if the deadline passes before the request settles. */
  onExpire(listener: (error: ServingError) => void): void {
    if (this.#expired) listener(this.#expired);
    else if (!this.#settled) (this.#listeners ??= []).push(listener);
  }

  /** @throws the deadline's error once it has passed. */
  throwIfExpired(): void {
    if (this.#expired) throw this.#expired;
  }

  /** `work`'s result, or the deadline's error if that comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.#expired) {
      work.catch(() => undefined);
      return Promise.reject(this.#expired);
    }
    return new Promise((resolve, reject) => {
      this.onExpire(reject);
      work.then(resolve, reject);
    });
  }

  /** Runs `cleanup` (a timer's clearTimeout) once the request settles. */
  whenSettled(cleanup: () => void): void {
    this.#onSettle = cleanup;
  }
}

/** A deadline `ms` from now on its own timer: for callers whose deadlines all differ (gRPC). */
export function deadlineAfter(ms: number): RequestDeadline {
  const deadline = new RequestDeadline(performance.now() + ms);
  const timer = setTimeout(() => deadline.expire(), Math.max(0, ms));
  timer.unref();
  deadline.whenSettled(() => clearTimeout(timer));
  return deadline;
}
