import type {
  RolloutShadowStats,
  RolloutStats,
  RolloutVersionStats,
  RolloutView,
} from "@servable/protocol/wire";
import type { RolloutInfo, RolloutNumbers } from "./tokens";

/**
 * A model's rollout (docs/rollouts.md) as the sidebar reads it from the listing's
 * `rollout` field, field by field (a server of another version may differ), and what a
 * change of it means for the person watching: an automatic rollback is news.
 */

/** The `rollout` of a listed model, or undefined when it has none or it does not read. */
export function parseRollout(value: unknown): RolloutInfo | undefined {
  if (!isRecord(value)) return undefined;
  const candidate = value["candidate" satisfies keyof RolloutView];
  const state = value["state" satisfies keyof RolloutView];
  if (typeof candidate !== "number" || (state !== "running" && state !== "rolled_back")) {
    return undefined;
  }
  const stable = value["stable" satisfies keyof RolloutView];
  const stats = record(value["stats" satisfies keyof RolloutView]);
  const shadow = record(stats["shadow" satisfies keyof RolloutStats]);
  return {
    stable: typeof stable === "number" ? String(stable) : null,
    candidate: String(candidate),
    share: fraction(value["share" satisfies keyof RolloutView]),
    shadow: fraction(value["shadow" satisfies keyof RolloutView]),
    state,
    reason: stringOr(value["reason" satisfies keyof RolloutView], ""),
    windowSeconds: numberOr(stats["window_seconds" satisfies keyof RolloutStats], 0),
    stableStats: versionNumbers(stats["stable" satisfies keyof RolloutStats]),
    candidateStats: versionNumbers(stats["candidate" satisfies keyof RolloutStats]),
    shadowStats: {
      compared: numberOr(shadow["compared" satisfies keyof RolloutShadowStats], 0),
      agreement: nullable(shadow["agreement" satisfies keyof RolloutShadowStats]),
      errors: numberOr(shadow["errors" satisfies keyof RolloutShadowStats], 0),
      dropped: numberOr(shadow["dropped" satisfies keyof RolloutShadowStats], 0),
      maxAbsDiff: nullable(shadow["max_abs_diff" satisfies keyof RolloutShadowStats]),
    },
  };
}

function versionNumbers(value: unknown): RolloutNumbers {
  const v = record(value);
  return {
    requests: numberOr(v["requests" satisfies keyof RolloutVersionStats], 0),
    requestsPerSecond: numberOr(v["requests_per_second" satisfies keyof RolloutVersionStats], 0),
    errorRate: numberOr(v["error_rate" satisfies keyof RolloutVersionStats], 0),
    p50Ms: nullable(v["p50_ms" satisfies keyof RolloutVersionStats]),
    p99Ms: nullable(v["p99_ms" satisfies keyof RolloutVersionStats]),
  };
}

/** A rollout the server rolled back by itself since the last listing (not through the API). */
export function automaticRollback(
  before: RolloutInfo | undefined,
  now: RolloutInfo | undefined,
): boolean {
  return (
    before?.state === "running" &&
    now?.state === "rolled_back" &&
    now.candidate === before.candidate &&
    !now.reason.startsWith("manual:")
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const numberOr = (value: unknown, fallback: number): number =>
  typeof value === "number" && Number.isFinite(value) ? value : fallback;
const nullable = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;
const fraction = (value: unknown): number => Math.min(1, Math.max(0, numberOr(value, 0)));
const stringOr = (value: unknown, fallback: string): string =>
  typeof value === "string" ? value : fallback;
