import type { RolloutGuard } from "@servable/protocol";
import { DEFAULT_GUARD, GUARD_FIELDS, guardFrom } from "../../repository/rollout-record";
import type { WindowSummary } from "./sliding-window";

/**
 * The guard rails: whether a candidate must be rolled back, judged on this server's window
 * of the rollout's traffic. Two rules, each once the window holds `min_requests` of the
 * candidate's requests:
 *   error_rate  the candidate's error rate exceeds stable's by more than
 *               `max_error_rate_increase` (its live requests, or its shadow runs)
 *   p99         its p99 latency exceeds `max_p99_ratio` x stable's (live requests; both
 *               sides need P99_MIN_SAMPLES successful ones too)
 * A verdict names the rule and the numbers, for the rollout record's `reason`.
 */
export type GuardRule = "error_rate" | "p99";

/**
 * Successful requests each side needs before the p99 rule judges: below 100 a p99 is the
 * slowest single request, and one pause (a GC, a burst queued behind another) would roll
 * a healthy candidate back.
 */
export const P99_MIN_SAMPLES = 100;

export interface Verdict {
  readonly rule: GuardRule;
  /** `<rule>: <what was measured>`. */
  readonly reason: string;
}

export interface GuardWindows {
  readonly stableVersion: number;
  readonly candidateVersion: number;
  readonly stable: WindowSummary;
  readonly candidate: WindowSummary;
  readonly shadow: WindowSummary;
}

export function judge(guard: RolloutGuard, w: GuardWindows): Verdict | undefined {
  const seconds = `${guard.window_seconds} s`;
  const allowed = percent(guard.max_error_rate_increase);
  const stableRate = rate(w.stable);
  const stableText = `stable ${w.stableVersion} ${w.stable.errors} of ${w.stable.requests} (${percent(stableRate)})`;
  for (const [side, window] of [
    ["requests", w.candidate],
    ["shadow runs", w.shadow],
  ] as const) {
    if (window.requests < guard.min_requests) continue;
    if (rate(window) - stableRate > guard.max_error_rate_increase) {
      return {
        rule: "error_rate",
        reason:
          `error_rate: candidate ${w.candidateVersion} failed ${window.errors} of ${window.requests} ${side} ` +
          `(${percent(rate(window))}) in the last ${seconds}, ${stableText}; allowed increase ${allowed}`,
      };
    }
  }
  const candidateOk = w.candidate.requests - w.candidate.errors;
  const stableOk = w.stable.requests - w.stable.errors;
  const p99Samples = Math.max(guard.min_requests, P99_MIN_SAMPLES);
  if (candidateOk >= p99Samples && stableOk >= p99Samples) {
    const candidateP99 = w.candidate.latencyMs(0.99)!;
    const stableP99 = w.stable.latencyMs(0.99)!;
    if (candidateP99 > guard.max_p99_ratio * stableP99) {
      return {
        rule: "p99",
        reason:
          `p99: candidate ${w.candidateVersion} p99 ${ms(candidateP99)} over ${candidateOk} requests in the last ${seconds}, ` +
          `stable ${w.stableVersion} ${ms(stableP99)} over ${stableOk}; allowed ${guard.max_p99_ratio} x stable's`,
      };
    }
  }
  return undefined;
}

/**
 * `--rollout_guard`: empty for none; `default` for the defaults
 * (window_seconds=60,min_requests=20,max_error_rate_increase=0.05,max_p99_ratio=2); or
 * comma-separated `field=value` pairs, the fields left out taking the defaults.
 * @throws Error saying what is wrong with the text
 */
export function parseGuardFlag(text: string): RolloutGuard | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed === "default") return DEFAULT_GUARD;
  const fields = new Map<string, unknown>();
  for (const pair of trimmed.split(",")) {
    const match = /^\s*([a-z_0-9]+)\s*=\s*([^\s]+)\s*$/.exec(pair);
    if (!match) {
      throw new Error(
        `--rollout_guard: "${pair}" is not field=value (fields: ${GUARD_FIELDS.join(", ")})`,
      );
    }
    const value = Number(match[2]);
    fields.set(match[1]!, Number.isNaN(value) ? match[2] : value);
  }
  const guard = guardFrom(Object.fromEntries(fields));
  if (typeof guard === "string") throw new Error(`--rollout_guard: ${guard}`);
  return guard;
}

/** The syntax, for --help. */
export const GUARD_FLAG_SYNTAX =
  'Default guard rails of rollouts without their own: "" (none), "default" ' +
  `(${GUARD_FIELDS.map((f) => `${f}=${DEFAULT_GUARD[f]}`).join(",")}), or some of those ` +
  "field=value pairs, comma-separated (the others take these defaults).";

function rate(window: WindowSummary): number {
  return window.requests === 0 ? 0 : window.errors / window.requests;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}
