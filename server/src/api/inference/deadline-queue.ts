import { RequestDeadline } from "./request-deadline";

/**
 * Deadlines of requests that all wait the same time (--rest_api_timeout_in_ms): they
 * expire in the order they started, so one timer on the oldest serves them all, instead
 * of a timer per request on the hot path. `now` is the clock deadlines are read on
 * (`performance.now()`; tests give their own).
 */
export class DeadlineQueue {
  #entries: RequestDeadline[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A deadline `timeoutMs` from now: it expires then, unless settled before. */
  start(): RequestDeadline {
    const deadline = new RequestDeadline(this.now() + this.timeoutMs);
    this.#entries.push(deadline);
    if (!this.#timer) this.#arm();
    return deadline;
  }

  #arm(): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.settled) this.#head++;
    this.#compact();
    const next = this.#entries[this.#head];
    this.#timer = next
      ? setTimeout(() => this.#sweep(), Math.max(0, next.at - this.now()))
      : undefined;
    this.#timer?.unref();
  }

  #sweep(): void {
    const now = this.now();
    while (this.#head < this.#entries.length) {
      const deadline = this.#entries[this.#head]!;
      if (!deadline.settled && deadline.at > now) break;
      this.#head++;
      deadline.expire();
    }
    this.#arm();
  }

  /** Drops settled entries from the front once they are the bulk of the array. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
