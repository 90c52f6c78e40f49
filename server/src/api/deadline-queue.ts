/**
 * Deadlines of requests that all wait the same time (--rest_api_timeout_in_ms): they
 * expire in the order they were added, so one timer on the oldest serves them all,
 * instead of a timer per request on the hot path.
 */
export interface Deadline {
  /** Marks the request finished: its deadline will not fire. */
  settle(): void;
}

interface Entry extends Deadline {
  readonly at: number;
  readonly onExpire: () => void;
  done: boolean;
}

export class DeadlineQueue {
  #entries: Entry[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Calls `onExpire` once `timeoutMs` have passed, unless settled before. */
  add(onExpire: () => void): Deadline {
    const entry: Entry = {
      at: performance.now() + this.timeoutMs,
      onExpire,
      done: false,
      settle() {
        this.done = true;
      },
    };
    this.#entries.push(entry);
    if (!this.#timer) this.#arm();
    return entry;
  }

  #arm(): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.done) this.#head++;
    this.#compact();
    const next = this.#entries[this.#head];
    this.#timer = next
      ? setTimeout(() => this.#sweep(), Math.max(0, next.at - performance.now()))
      : undefined;
    this.#timer?.unref();
  }

  #sweep(): void {
    const now = performance.now();
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (!entry.done && entry.at > now) break;
      this.#head++;
      if (!entry.done) {
        entry.done = true;
        entry.onExpire();
      }
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
