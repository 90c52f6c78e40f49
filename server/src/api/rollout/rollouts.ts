import type { Logger } from "pino";
import type { Registry } from "prom-client";
import {
  own,
  type RolloutGuard,
  type RolloutShadowStats,
  type RolloutVersionStats,
  type RolloutView,
  type StatusCode,
} from "@servable/protocol";
import type { ServableHandle } from "../../core/servable-handle";
import type { ServerCore } from "../../core/server-core";
import { DEFAULT_GUARD, sameRecord, type RolloutRecord } from "../../repository/rollout-record";
import type { ReplaceOutcome, RolloutState } from "../../repository/rollout-state";
import type { Resolution, RoutedOutcome, TrafficSplit } from "../inference/version-resolver";
import { judge } from "./rollout-guard";
import { RolloutMetrics, type RollbackReason } from "./rollout-metrics";
import { ShadowRuns, type ShadowJob, type ShadowResult } from "./shadow-runs";
import { SlidingWindow, type WindowSummary } from "./sliding-window";
import { goesToCandidate } from "./traffic-split";

/**
 * This server's side of every model's rollout (docs/rollouts.md). The records are
 * repository state (rollout-state.ts), read before every version poll; from them this:
 *   - splits a model's unversioned requests between its `stable` label's version and the
 *     candidate (`route`, the resolution step's TrafficSplit), sticky by routing key;
 *   - counts how each side did over a sliding window, and runs shadow requests;
 *   - applies the guard rails: when a rule fires it writes the rollback into the record,
 *     on the condition that nobody changed the record since it was judged, so the servers
 *     of a repository that reach the same verdict write it once and the others follow it
 *     on their next poll. This server stops routing to the candidate at once.
 * A model is under rollout control while it has a record and a `stable` label that
 * resolves here; any other model keeps TF Serving's rule (the latest version).
 */
export const STABLE_LABEL = "stable";

/** The stats window of a rollout without guard rails. */
const DEFAULT_WINDOW_SECONDS = DEFAULT_GUARD.window_seconds;
/** Shadow runs in flight at once; more are dropped. */
const DEFAULT_MAX_SHADOW_IN_FLIGHT = 8;
const SHADOW_TIMEOUT_MS = 30_000;

/**
 * Codes that are the server's (or the model's) fault, whatever part of the request raised
 * them. Any error the model raises while running a request that decoded counts as well.
 */
const SERVER_FAULTS: ReadonlySet<StatusCode> = new Set<StatusCode>([
  "UNKNOWN",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "DEADLINE_EXCEEDED",
]);

/** What the rollouts need of the server core. */
export type RolloutCore = Pick<ServerCore, "labelVersion" | "getServableHandle" | "refreshLabels">;

export interface RolloutsOptions {
  readonly core: RolloutCore;
  readonly state: RolloutState;
  /** --rollout_guard: the guard rails of rollouts without their own. */
  readonly defaultGuard: RolloutGuard | undefined;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Who writes the records (`updated_by`). */
  readonly identity: string;
  /** Monotonic milliseconds, for the windows. */
  readonly now?: () => number;
  /** Wall-clock time, for `updated_at`. */
  readonly wallClock?: () => Date;
  readonly random?: () => number;
  readonly maxShadowInFlight?: number;
  /** When shadow runs start (default: after the answer is written, setImmediate). */
  readonly shadowLater?: (run: () => void) => void;
}

type Role = "stable" | "candidate";
type Stamps = "started_at" | "updated_at" | "updated_by";

/** One run's windows on this server (a run: a candidate from its start to its end or rollback). */
class RolloutTraffic {
  readonly stable: SlidingWindow;
  readonly candidate: SlidingWindow;
  readonly shadow: SlidingWindow;

  constructor(
    /** The run's candidate and start. */
    readonly run: string,
    readonly windowMs: number,
    now: () => number,
  ) {
    this.stable = new SlidingWindow(windowMs, now);
    this.candidate = new SlidingWindow(windowMs, now);
    this.shadow = new SlidingWindow(windowMs, now);
  }
}

export class Rollouts implements TrafficSplit {
  readonly #core: RolloutCore;
  readonly #state: RolloutState;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #wallClock: () => Date;
  readonly #random: () => number;
  readonly #metrics: RolloutMetrics;
  readonly #shadows: ShadowRuns;
  readonly #traffic = new Map<string, RolloutTraffic>();
  /** Rollbacks being written: this server routes by them already. */
  readonly #overrides = new Map<string, { expected: RolloutRecord; next: RolloutRecord }>();
  readonly #judging = new Set<string>();

  constructor(private readonly options: RolloutsOptions) {
    this.#core = options.core;
    this.#state = options.state;
    this.#log = options.logger;
    this.#now = options.now ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    this.#metrics = new RolloutMetrics(options.registry, () => this.records());
    this.#shadows = new ShadowRuns({
      acquire: (model, version) => this.#acquire(model, version),
      maxInFlight: options.maxShadowInFlight ?? DEFAULT_MAX_SHADOW_IN_FLIGHT,
      timeoutMs: SHADOW_TIMEOUT_MS,
      onResult: (job, result) => this.#shadowDone(job, result),
      later: options.shadowLater,
    });
  }

  /** Says where the records live, for the API's answers. */
  get describe(): string {
    return this.#state.describe;
  }

  /** A model's rollout record as this server routes by it now. */
  record(name: string): RolloutRecord | undefined {
    const current = this.#state.current().get(name);
    if (this.#overrides.size === 0) return current;
    const override = this.#overrides.get(name);
    if (!override) return current;
    if (current && sameRecord(current, override.expected)) return override.next;
    this.#overrides.delete(name);
    return current;
  }

  /** Every record, as `record` gives them. */
  records(): ReadonlyMap<string, RolloutRecord> {
    const current = this.#state.current();
    if (this.#overrides.size === 0) return current;
    const records = new Map<string, RolloutRecord>();
    for (const name of current.keys()) records.set(name, this.record(name)!);
    return records;
  }

  /** The guard rails in effect: the rollout's own, else the server's default. */
  guardOf(record: RolloutRecord): RolloutGuard | undefined {
    return record.guard ?? this.options.defaultGuard;
  }

  stableOf(name: string): number | undefined {
    return this.record(name) ? this.#core.labelVersion(name, STABLE_LABEL) : undefined;
  }

  route(name: string, routingKey: string | undefined): Resolution | undefined {
    const record = this.record(name);
    if (!record) return undefined;
    const stable = this.#core.labelVersion(name, STABLE_LABEL);
    if (stable === undefined) return undefined;
    const splits = record.state === "running" && record.candidate !== stable;
    let role: Role =
      splits && goesToCandidate(name, routingKey, record.share, this.#random)
        ? "candidate"
        : "stable";
    let handle: ServableHandle | undefined;
    if (role === "candidate") {
      handle = this.#acquire(name, record.candidate);
      // Not AVAILABLE here (yet): stable answers.
      if (!handle) role = "stable";
    }
    handle ??= this.#core.getServableHandle({ name, version: stable });
    const shadowed =
      role === "stable" && splits && record.shadow > 0 && this.#random() < record.shadow;
    const classLabels = handle.servable.classLabels;
    return {
      handle,
      routed: {
        shadowed,
        finish: (outcome) => this.#finish(name, record, role, outcome, classLabels),
      },
    };
  }

  /** The record with this server's stamp: what the API and the guard write. */
  stamp(record: Omit<RolloutRecord, "updated_at" | "updated_by">): RolloutRecord {
    return {
      ...record,
      updated_at: this.#wallClock().toISOString(),
      updated_by: this.options.identity,
    };
  }

  /**
   * Writes a model's record (stamped) and has the core read the state again. A running
   * record goes on with the run it continues (same candidate, running before), else starts
   * a new one, and with it new stats.
   */
  async write(name: string, record: Omit<RolloutRecord, Stamps>): Promise<RolloutRecord> {
    const before = this.record(name);
    const continues =
      before?.state === "running" &&
      record.state === "running" &&
      before.candidate === record.candidate;
    const stamped = this.stamp({
      ...record,
      started_at: continues ? before.started_at : this.#wallClock().toISOString(),
    });
    await this.#state.write(name, stamped);
    await this.#core.refreshLabels();
    return stamped;
  }

  /** Ends a model's rollout (labels unchanged); false when it had none. */
  async remove(name: string): Promise<boolean> {
    const removed = await this.#state.remove(name);
    this.#overrides.delete(name);
    this.#traffic.delete(name);
    await this.#core.refreshLabels();
    return removed;
  }

  /**
   * Rolls a rollout back: share and shadow 0, state rolled_back, the reason recorded. A
   * manual rollback writes over whatever is there (a rollout already rolled back keeps its
   * reason); a guard's writes only while the record is still the one it judged.
   * @returns the record written, or undefined when nothing was (no rollout, or it changed)
   */
  async rollBack(
    name: string,
    reason: string,
    kind: RollbackReason,
    expected: RolloutRecord | undefined = this.record(name),
  ): Promise<RolloutRecord | undefined> {
    if (!expected) return undefined;
    if (expected.state === "rolled_back" && kind === "manual") return expected;
    const next = this.stamp({ ...expected, share: 0, shadow: 0, state: "rolled_back", reason });
    this.#overrides.set(name, { expected, next });
    let outcome: ReplaceOutcome;
    try {
      if (kind === "manual") {
        await this.#state.write(name, next);
        outcome = "written";
      } else {
        outcome = await this.#state.replaceIf(name, expected, next);
      }
    } catch (error) {
      if (kind === "manual") this.#overrides.delete(name);
      this.#log.error(
        { err: error, model: name },
        `Could not record the rollback of ${name} in ${this.#state.describe}: ${(error as Error).message}` +
          (kind === "manual" ? "" : "; this server routes no traffic to the candidate meanwhile"),
      );
      if (kind === "manual") throw error;
      return undefined;
    }
    if (outcome === "taken") {
      // Another server decided the same and writes it: route by the decision until it is read.
      this.#log.info({ model: name }, `Another server rolls back ${name}: following it`);
      return undefined;
    }
    if (outcome === "changed") {
      this.#overrides.delete(name);
      this.#log.info({ model: name }, `The rollout of ${name} changed meanwhile: not rolled back`);
      return undefined;
    }
    this.#metrics.rollback(name, kind);
    this.#log.warn(
      { model: name, candidate: expected.candidate, reason },
      `Rolled back version ${expected.candidate} of ${name}: ${reason}`,
    );
    await this.#core.refreshLabels();
    return next;
  }

  /** GET /v1/models/{m}/rollout, and `rollout` in the listing. */
  view(name: string): RolloutView | undefined {
    const record = this.record(name);
    if (!record) {
      this.#traffic.delete(name);
      return undefined;
    }
    const traffic = this.#trafficFor(name, record);
    return {
      name,
      stable: this.#core.labelVersion(name, STABLE_LABEL) ?? null,
      candidate: record.candidate,
      share: record.share,
      shadow: record.shadow,
      state: record.state,
      reason: record.reason,
      guard: this.guardOf(record) ?? null,
      updated_at: record.updated_at,
      updated_by: record.updated_by,
      stats: {
        window_seconds: traffic.windowMs / 1000,
        stable: versionStats(traffic.stable.summary()),
        candidate: versionStats(traffic.candidate.summary()),
        shadow: shadowStats(traffic.shadow.summary()),
      },
    };
  }

  /** Shadow runs started and not finished. */
  get shadowsInFlight(): number {
    return this.#shadows.inFlight;
  }

  #acquire(name: string, version: number): ServableHandle | undefined {
    try {
      return this.#core.getServableHandle({ name, version });
    } catch {
      return undefined;
    }
  }

  #finish(
    name: string,
    routedBy: RolloutRecord,
    role: Role,
    outcome: RoutedOutcome,
    classLabels: Readonly<Record<string, readonly string[]>> | undefined,
  ): void {
    const failed = outcome.status !== "OK";
    // The client's own errors (a body that does not fit the signature) say nothing of a version.
    if (failed && !outcome.failedWhileRunning && !SERVER_FAULTS.has(outcome.status)) return;
    const record = this.record(name);
    if (!record || record.candidate !== routedBy.candidate) return;
    if (record.started_at !== routedBy.started_at) return;
    const traffic = this.#trafficFor(name, record);
    traffic[role].record({ error: failed, latencyMs: failed ? undefined : outcome.latencyMs });
    this.#judge(name);
    if (outcome.shadow) {
      this.#shadows.submit({
        model: name,
        candidate: record.candidate,
        request: outcome.shadow,
        stableClassLabels: own(classLabels, outcome.shadow.signatureName),
      });
    }
  }

  #shadowDone(job: ShadowJob, result: ShadowResult): void {
    const record = this.record(job.model);
    const counts = record?.candidate === job.candidate;
    const traffic = counts ? this.#trafficFor(job.model, record) : undefined;
    switch (result.kind) {
      case "dropped":
        traffic?.shadow.record({ dropped: true });
        this.#metrics.shadow(job.model, "dropped");
        return;
      case "error":
        traffic?.shadow.record({ error: true });
        this.#metrics.shadow(job.model, "error");
        if (traffic) this.#judge(job.model);
        return;
      case "compared":
        traffic?.shadow.record({ latencyMs: result.latencyMs, compared: result.comparison });
        this.#metrics.shadow(job.model, result.comparison.agreed ? "agree" : "disagree");
        if (traffic) this.#judge(job.model);
    }
  }

  /**
   * Judges the guard rails after every outcome, of either side: any one of them (a success
   * that brings the candidate to min_requests, too) may be the one after which a rule holds,
   * and no later request may come to find it. A judgment adds up a dozen slices per window.
   */
  #judge(name: string): void {
    const record = this.record(name);
    if (!record || record.state !== "running" || this.#judging.has(name)) return;
    const guard = this.guardOf(record);
    const stable = this.#core.labelVersion(name, STABLE_LABEL);
    if (!guard || stable === undefined) return;
    const traffic = this.#trafficFor(name, record);
    const verdict = judge(guard, {
      stableVersion: stable,
      candidateVersion: record.candidate,
      stable: traffic.stable.summary(),
      candidate: traffic.candidate.summary(),
      shadow: traffic.shadow.summary(),
    });
    if (!verdict) return;
    this.#judging.add(name);
    void this.rollBack(name, verdict.reason, verdict.rule, record).finally(() =>
      this.#judging.delete(name),
    );
  }

  /** The run's windows, new with each run (and when the guard's window changes). */
  #trafficFor(name: string, record: RolloutRecord): RolloutTraffic {
    const windowMs = (this.guardOf(record)?.window_seconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
    const run = `${record.candidate} ${record.started_at}`;
    let traffic = this.#traffic.get(name);
    if (!traffic || traffic.run !== run || traffic.windowMs !== windowMs) {
      traffic = new RolloutTraffic(run, windowMs, this.#now);
      this.#traffic.set(name, traffic);
    }
    return traffic;
  }
}

function versionStats(window: WindowSummary): RolloutVersionStats {
  return {
    requests: window.requests,
    requests_per_second: round(window.perSecond),
    errors: window.errors,
    error_rate: window.requests === 0 ? 0 : round(window.errors / window.requests),
    p50_ms: roundOrNull(window.latencyMs(0.5)),
    p99_ms: roundOrNull(window.latencyMs(0.99)),
  };
}

function shadowStats(window: WindowSummary): RolloutShadowStats {
  return {
    compared: window.compared,
    agreement: window.compared === 0 ? null : round(window.agreed / window.compared),
    errors: window.errors,
    dropped: window.dropped,
    max_abs_diff: window.maxAbsDiff ?? null,
    p50_ms: roundOrNull(window.latencyMs(0.5)),
    p99_ms: roundOrNull(window.latencyMs(0.99)),
  };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 1000) / 1000;
}
