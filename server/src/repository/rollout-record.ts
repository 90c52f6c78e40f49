import { own, versionFromJson, type RolloutGuard, type RolloutStateName } from "@servable/protocol";

/**
 * A model's rollout record (docs/rollouts.md), as the repository state keeps it in
 * `.servable/models/<model>/rollout.json` and as a server without a repository keeps it
 * in memory:
 *
 *   {"candidate": 3, "share": 0.1, "shadow": 0, "state": "running", "reason": "",
 *    "guard": {...}, "started_at": "...", "updated_at": "...", "updated_by": "<server>"}
 *
 * Only `candidate` is required of a file an operator or a GitOps tool writes: `share` and
 * `shadow` default to 0, `state` to running, a partial `guard` takes the defaults for the
 * fields it leaves out, and other fields are ignored.
 */
export interface RolloutRecord {
  readonly candidate: number;
  /** Fraction of unversioned requests the candidate answers, in [0, 1]. */
  readonly share: number;
  /** Fraction of stable's unversioned requests also run on the candidate, in [0, 1]. */
  readonly shadow: number;
  readonly state: RolloutStateName;
  readonly reason: string;
  /** The rollout's own guard rails; absent: the server's `--rollout_guard`, if any. */
  readonly guard?: RolloutGuard;
  /** When this run of the candidate started (a new candidate, or running again after a rollback). */
  readonly started_at: string;
  readonly updated_at: string;
  readonly updated_by: string;
}

/** The guard rails' fields when a guard leaves them out. */
export const DEFAULT_GUARD: RolloutGuard = {
  window_seconds: 60,
  min_requests: 20,
  max_error_rate_increase: 0.05,
  max_p99_ratio: 2,
};

export const GUARD_FIELDS = Object.keys(DEFAULT_GUARD) as (keyof RolloutGuard)[];

/**
 * A guard from JSON fields (or a flag's), each checked; fields left out come from `base`.
 * @returns the guard, or the problem with it
 */
export function guardFrom(
  fields: Readonly<Record<string, unknown>>,
  base: RolloutGuard = DEFAULT_GUARD,
): RolloutGuard | string {
  const guard: Record<keyof RolloutGuard, number> = { ...base };
  for (const key of Object.keys(fields)) {
    if (!(GUARD_FIELDS as string[]).includes(key)) {
      return `Unknown guard field "${key}" (the fields: ${GUARD_FIELDS.join(", ")})`;
    }
  }
  for (const key of GUARD_FIELDS) {
    const value = own(fields, key);
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return `Guard field ${key} must be a number, got ${JSON.stringify(value)}`;
    }
    guard[key] = value;
  }
  if (guard.window_seconds <= 0) return "Guard field window_seconds must be more than 0";
  if (!Number.isInteger(guard.min_requests) || guard.min_requests < 1) {
    return "Guard field min_requests must be a whole number of at least 1";
  }
  if (guard.max_error_rate_increase < 0 || guard.max_error_rate_increase > 1) {
    return "Guard field max_error_rate_increase must be a fraction in [0, 1]";
  }
  if (guard.max_p99_ratio < 1) return "Guard field max_p99_ratio must be at least 1";
  return guard;
}

/** A share or shadow fraction, or undefined when the value is not a number in [0, 1]. */
export function fraction(value: unknown): number | undefined {
  return typeof value === "number" && value >= 0 && value <= 1 ? value : undefined;
}

/**
 * Reads a record from a file's text.
 * @returns the record, or the problem with it
 */
export function parseRolloutRecord(text: string): RolloutRecord | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "not a JSON object";
  }
  const fields = parsed as Record<string, unknown>;
  const candidate = versionFromJson(own(fields, "candidate"));
  if (candidate === undefined) return '"candidate" is not a version number';
  const share = fraction(own(fields, "share") ?? 0);
  if (share === undefined) return '"share" is not a number in [0, 1]';
  const shadow = fraction(own(fields, "shadow") ?? 0);
  if (shadow === undefined) return '"shadow" is not a number in [0, 1]';
  const state = own(fields, "state") ?? "running";
  if (state !== "running" && state !== "rolled_back") {
    return '"state" is neither "running" nor "rolled_back"';
  }
  const rawGuard = own(fields, "guard");
  let guard: RolloutGuard | undefined;
  if (rawGuard !== undefined && rawGuard !== null) {
    if (typeof rawGuard !== "object" || Array.isArray(rawGuard)) return '"guard" is not an object';
    const checked = guardFrom(rawGuard as Record<string, unknown>);
    if (typeof checked === "string") return checked;
    guard = checked;
  }
  const textField = (key: string) => {
    const value = own(fields, key);
    return typeof value === "string" ? value : "";
  };
  return {
    candidate,
    share,
    shadow,
    state,
    reason: textField("reason"),
    ...(guard && { guard }),
    started_at: textField("started_at"),
    updated_at: textField("updated_at"),
    updated_by: textField("updated_by"),
  };
}

/** The file's text: one JSON object, its fields in the documented order. */
export function formatRolloutRecord(record: RolloutRecord): string {
  const { candidate, share, shadow, state, reason, guard, started_at, updated_at, updated_by } =
    record;
  const ordered = {
    candidate,
    share,
    shadow,
    state,
    reason,
    guard,
    started_at,
    updated_at,
    updated_by,
  };
  return `${JSON.stringify(ordered)}\n`;
}

/** Whether two records say the same (the guard's check that nobody changed a rollout meanwhile). */
export function sameRecord(a: RolloutRecord | undefined, b: RolloutRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return formatRolloutRecord(a) === formatRolloutRecord(b);
}
