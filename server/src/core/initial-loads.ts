import type { ServableId } from "./servable-id";
import type { ServableState } from "./servable-state";

/**
 * The readiness rule: the versions the first poll found, each waiting to become
 * AVAILABLE or END. The server is ready once none waits: a version that failed for good
 * counts as settled, so one bad model never keeps the others out of service, while one
 * still loading (or waiting for a retry) holds readiness back. Once settled it stays
 * settled: versions found later load behind the ones that serve.
 */
export class InitialLoads {
  readonly #waiting = new Set<string>();
  /** Versions that settled while the first poll was still going on. */
  readonly #settledEarly = new Set<string>();
  #collecting = true;
  #isSettled = false;
  #resolve!: () => void;
  readonly settled = new Promise<void>((resolve) => (this.#resolve = resolve));

  get isSettled(): boolean {
    return this.#isSettled;
  }

  /** A version the first poll found (ignored once the first poll is over). */
  expect(id: ServableId): void {
    const key = keyOf(id);
    if (this.#collecting && !this.#settledEarly.has(key)) this.#waiting.add(key);
  }

  /** Every state the manager publishes. */
  observe(state: ServableState): void {
    if (state.state !== "AVAILABLE" && state.state !== "END") return;
    const key = keyOf(state.id);
    this.#waiting.delete(key);
    if (this.#collecting) this.#settledEarly.add(key);
    this.#check();
  }

  /** The first poll is over: every version it found has been expected. */
  endCollection(): void {
    this.#collecting = false;
    this.#settledEarly.clear();
    this.#check();
  }

  #check(): void {
    if (this.#collecting || this.#isSettled || this.#waiting.size > 0) return;
    this.#isSettled = true;
    this.#resolve();
  }
}

const keyOf = (id: ServableId): string => `${id.name}\u0000${id.version}`;
