import type {
  AspiredServableStateSnapshot,
  AspiredVersionPolicy,
  HarnessState,
} from "./aspired-version-policy";
import { AvailabilityPreservingPolicy } from "./availability-preserving-policy";
import { notFound, ServingError } from "@servable/protocol";
import type { Loader } from "./loader";
import { loadCancelled } from "./load-failure";
import { LoaderHarness, type RetryOptions } from "./loader-harness";
import { ServableHandle } from "./servable-handle";
import type { ServableId } from "./servable-id";
import type { ManagerState, ServableState } from "./servable-state";

/** One version a Source wants served, with the (not yet loaded) Loader for it. */
export interface AspiredVersion {
  readonly version: number;
  readonly loader: Loader;
}

/** Which version a request wants: a specific one, or the latest available. */
export interface ServableRequest {
  readonly name: string;
  readonly version?: number;
}

export interface ManagerOptions extends RetryOptions {
  policy?: AspiredVersionPolicy;
  /** Loads that may run at once across all models; TF Serving's 0 means one at a time. */
  numLoadThreads?: number;
  /** Refuse loads whose estimates would take the total above this many bytes. */
  totalModelMemoryLimitBytes?: number;
}

export type StateListener = (state: ServableState) => void;

interface ServingStream {
  readonly byVersion: ReadonlyMap<number, LoaderHarness>;
  readonly latest: LoaderHarness;
}

/**
 * The one place that decides what is loaded. Sources tell it, per model, which versions
 * they want (`setAspiredVersions`; a version left out is to be unloaded); after every
 * change it asks the AspiredVersionPolicy for the next load or unload of each stream and
 * carries it out through the version's LoaderHarness. Requests get versions only through
 * `getServableHandle`, which reads a serving map rebuilt on every state change.
 *
 * At most one load and one unload run per stream at a time; loads across streams are
 * limited by `numLoadThreads`. A load that failed transiently waits for its retry
 * without holding a load slot, so other versions load meanwhile. A version left out
 * while it loads has its load cancelled, and whatever it loaded anyway is unloaded at
 * once: it never serves. A version re-aspired while it unloads (or while its cancelled
 * load winds down) waits until that ends, then loads again.
 */
export class AspiredVersionsManager {
  readonly #streams = new Map<string, Map<number, LoaderHarness>>();
  readonly #pending = new Map<string, readonly AspiredVersion[]>();
  #serving = new Map<string, ServingStream>();
  readonly #listeners = new Set<StateListener>();
  readonly #published = new WeakMap<LoaderHarness, ManagerState>();
  readonly #policy: AspiredVersionPolicy;
  readonly #maxConcurrentLoads: number;
  #loadsInFlight = 0;
  readonly #busy = new Set<Promise<void>>();
  #scheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  #settledWaiters: (() => void)[] = [];

  constructor(private readonly options: ManagerOptions) {
    this.#policy = options.policy ?? new AvailabilityPreservingPolicy();
    this.#maxConcurrentLoads = Math.max(1, options.numLoadThreads ?? 0);
  }

  /** Replaces the set of versions wanted for one model. An empty list unloads it all. */
  setAspiredVersions(name: string, versions: readonly AspiredVersion[]): void {
    this.#pending.set(name, versions);
    this.#schedule();
  }

  /**
   * A handle to the requested version, if it is AVAILABLE: the caller must release it.
   * @throws ServingError NOT_FOUND with TF Serving's text otherwise.
   */
  getServableHandle(request: ServableRequest): ServableHandle {
    const stream = this.#serving.get(request.name);
    const harness =
      request.version === undefined ? stream?.latest : stream?.byVersion.get(request.version);
    const servable = harness?.acquire();
    if (!harness || !servable) {
      throw notFound(`Servable not found for request: ${describeRequest(request)}`);
    }
    return new ServableHandle(harness, servable);
  }

  /** Versions of a model that requests can use now, highest first. */
  availableVersions(name: string): number[] {
    const stream = this.#serving.get(name);
    return stream ? [...stream.byVersion.keys()].sort((a, b) => b - a) : [];
  }

  /** Current states of the versions the manager tracks for a model. */
  managedStates(name: string): ServableState[] {
    return [...(this.#streams.get(name)?.values() ?? [])].map(stateOf);
  }

  /** Calls `listener` on every state change; returns the function that unsubscribes. */
  subscribe(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves when no load or unload is running and none is waiting to start, retries
   * included (a version waiting to retry ends first).
   */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Resolves when nothing can be done right now: like `whenIdle()`, except that a version
   * waiting for a retry does not count. What follows a change (an upload, a delete) waits
   * for this, never for another model's retry interval.
   */
  whenSettled(): Promise<void> {
    if (this.#isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /** Unloads every version (waiting for running requests) and resolves when all are gone. */
  async stop(): Promise<void> {
    for (const name of new Set([...this.#streams.keys(), ...this.#pending.keys()])) {
      this.setAspiredVersions(name, []);
    }
    await this.whenIdle();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#manage();
    });
  }

  #manage(): void {
    this.#processPendingRequests();
    this.#flushUnaspired();
    for (const [name, versions] of this.#streams) this.#takeNextAction(name, versions);
    this.#armRetryTimer();
    if (this.#isSettled()) {
      const waiters = this.#settledWaiters;
      this.#settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #processPendingRequests(): void {
    for (const [name, aspired] of this.#pending) {
      const versions = this.#streams.get(name) ?? new Map<number, LoaderHarness>();
      const wanted = new Map(aspired.map((v) => [v.version, v]));
      const reaspiredWhileLeaving = [...versions.values()].some(
        (h) => !h.isAspired && wanted.has(h.id.version) && isWindingDown(h),
      );
      if (reaspiredWhileLeaving) continue;
      this.#pending.delete(name);
      for (const harness of versions.values()) {
        if (!wanted.has(harness.id.version)) {
          harness.isAspired = false;
          harness.cancel();
        } else if (!harness.isAspired && harness.state === "ready") {
          harness.isAspired = true;
        }
      }
      for (const { version, loader } of wanted.values()) {
        const existing = versions.get(version);
        if (existing && existing.isAspired) continue;
        const harness = new LoaderHarness({ name, version }, loader, this.options, (h) =>
          this.#onHarnessChange(h),
        );
        versions.set(version, harness);
        this.#publish(harness);
      }
      if (versions.size > 0) this.#streams.set(name, versions);
    }
  }

  /** Forgets versions that are no longer wanted and hold nothing (TF Serving's FlushServables). */
  #flushUnaspired(): void {
    for (const [name, versions] of this.#streams) {
      for (const [version, harness] of versions) {
        const inert =
          harness.state === "new" || harness.state === "disabled" || harness.state === "error";
        if (!harness.isAspired && inert) {
          versions.delete(version);
          if (harness.state === "new") {
            harness.fail(loadCancelled());
          }
        }
      }
      if (versions.size === 0) this.#streams.delete(name);
    }
  }

  #takeNextAction(name: string, versions: Map<number, LoaderHarness>): void {
    const harnesses = [...versions.values()];
    const snapshots: AspiredServableStateSnapshot[] = harnesses.map((h) => ({
      id: h.id,
      state: h.state,
      isAspired: h.isAspired,
    }));
    const action = this.#policy.nextAction(snapshots);
    if (action?.action === "unload") {
      const harness = versions.get(action.id.version);
      if (harness && !harnesses.some((h) => isLeaving(h.state))) this.#run(harness.unload());
      return;
    }
    if (harnesses.some((h) => h.state === "loading")) return;
    if (this.#loadsInFlight >= this.#maxConcurrentLoads) return;
    const now = Date.now();
    const next =
      (action && versions.get(action.id.version)) ??
      harnesses.find((h) => h.isAspired && h.retryAt !== undefined && h.retryAt <= now);
    if (next) this.#run(this.#load(next, name));
  }

  async #load(harness: LoaderHarness, name: string): Promise<void> {
    this.#loadsInFlight++;
    try {
      await harness.load(({ ramBytes }) => this.#checkMemory(name, harness, ramBytes));
    } finally {
      this.#loadsInFlight--;
    }
  }

  /** Wakes the manager when the earliest retry is due. */
  #armRetryTimer(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    let earliest: number | undefined;
    for (const versions of this.#streams.values()) {
      for (const h of versions.values()) {
        const at = h.retryAt;
        if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
      }
    }
    if (earliest === undefined) return;
    this.#retryTimer = setTimeout(() => this.#schedule(), Math.max(0, earliest - Date.now()));
  }

  #checkMemory(name: string, harness: LoaderHarness, estimate: number): ServingError | undefined {
    const limit = this.options.totalModelMemoryLimitBytes;
    if (limit === undefined) return undefined;
    let used = 0;
    for (const versions of this.#streams.values()) {
      for (const h of versions.values()) {
        if (h !== harness && holdsMemory(h.state)) used += h.estimate?.ramBytes ?? 0;
      }
    }
    if (used + estimate <= limit) return undefined;
    return new ServingError(
      "RESOURCE_EXHAUSTED",
      `Insufficient resources to load servable {name: ${name} version: ${harness.id.version}}: ` +
        `needs ${estimate} bytes, ${limit - used} of ${limit} bytes are free`,
      false,
    );
  }

  #run(action: Promise<void>): void {
    const tracked = action.finally(() => {
      this.#busy.delete(tracked);
      this.#schedule();
    });
    this.#busy.add(tracked);
  }

  /** Nothing running, nothing waiting to start, no retry pending. */
  #isIdle(): boolean {
    return this.#isSettled() && this.#retryTimer === undefined;
  }

  /** Nothing running and nothing waiting to start (retries may be pending). */
  #isSettled(): boolean {
    return (
      this.#busy.size === 0 && this.#pending.size === 0 && !this.#scheduled && !this.#hasWork()
    );
  }

  #hasWork(): boolean {
    for (const versions of this.#streams.values()) {
      const snapshots = [...versions.values()].map((h) => ({
        id: h.id,
        state: h.state,
        isAspired: h.isAspired,
      }));
      if (this.#policy.nextAction(snapshots)) return true;
    }
    return false;
  }

  #onHarnessChange(harness: LoaderHarness): void {
    if (harness.state === "ready" || harness.state === "quiescing") this.#rebuildServingMap();
    this.#publish(harness);
  }

  #rebuildServingMap(): void {
    const serving = new Map<string, ServingStream>();
    for (const [name, versions] of this.#streams) {
      const ready = [...versions.values()].filter((h) => h.state === "ready");
      if (ready.length === 0) continue;
      const latest = ready.reduce((a, b) => (b.id.version > a.id.version ? b : a));
      serving.set(name, { byVersion: new Map(ready.map((h) => [h.id.version, h])), latest });
    }
    this.#serving = serving;
  }

  /** Tells listeners a version's state, once per state (quiescing and unloading are both UNLOADING). */
  #publish(harness: LoaderHarness): void {
    const state = stateOf(harness);
    if (this.#published.get(harness) === state.state) return;
    this.#published.set(harness, state.state);
    for (const listener of this.#listeners) listener(state);
  }
}

const MANAGER_STATE_OF: Record<HarnessState, ManagerState> = {
  new: "START",
  loading: "LOADING",
  retrying: "LOADING",
  ready: "AVAILABLE",
  quiescing: "UNLOADING",
  unloading: "UNLOADING",
  disabled: "END",
  error: "END",
};

function stateOf(harness: LoaderHarness): ServableState {
  return {
    id: harness.id,
    state: MANAGER_STATE_OF[harness.state],
    error: harness.error,
    estimatedBytes: harness.estimate?.ramBytes,
    diskBytes: harness.estimate?.diskBytes,
    runtime: harness.servable?.runtime,
    engineReason: harness.servable?.engineReason,
    since: harness.since,
  };
}

const isLeaving = (state: HarnessState): boolean => state === "quiescing" || state === "unloading";
/** Leaving, or a cancelled load that has not ended yet. */
const isWindingDown = (h: LoaderHarness): boolean =>
  isLeaving(h.state) || (h.state === "loading" && h.cancelled);
const holdsMemory = (state: HarnessState): boolean =>
  state === "loading" || state === "ready" || isLeaving(state);

function describeRequest(request: ServableRequest): string {
  return request.version === undefined
    ? `Latest(${request.name})`
    : `Specific(${request.name}, ${request.version})`;
}

export type { ServableId };
