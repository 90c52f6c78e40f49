import type { VersionStateEvent } from "@servable/protocol/wire";
import type { ServedModel, ServedVersion, Transition, VersionState } from "./tokens";

/**
 * What the push channel's events mean for the sidebar, as pure functions and one small
 * store: each version's recent state changes (so a row can say "LOADING → AVAILABLE in
 * 6 ms" after the fact), and a listing patched with the states pushed since it was read.
 */

/** State changes kept per version. */
const KEPT = 8;

interface StateChange {
  readonly state: VersionState;
  /** Milliseconds since the epoch, the server's clock. */
  readonly at: number;
  readonly failed: boolean;
}

const key = (name: string, version: string): string => `${name}\u0000${Number(version)}`;

/** Each version's last few state changes, as the server reported them. */
export class VersionHistories {
  readonly #changes = new Map<string, StateChange[]>();

  /** Records a change; false when it was known already (a replay after a reconnect). */
  record(event: VersionStateEvent): boolean {
    const at = Date.parse(event.since);
    if (Number.isNaN(at)) return false;
    const id = key(event.name, event.version);
    const changes = this.#changes.get(id) ?? [];
    const last = changes.at(-1);
    if (last && last.state === event.state && last.at === at) return false;
    changes.push({ state: event.state, at, failed: event.status.error_code !== "OK" });
    if (changes.length > KEPT) changes.splice(0, changes.length - KEPT);
    this.#changes.set(id, changes);
    return true;
  }

  /** The version's transitions, oldest first (a change from START is the manager's bookkeeping). */
  transitions(name: string, version: string): Transition[] {
    const changes = this.#changes.get(key(name, version)) ?? [];
    const transitions: Transition[] = [];
    for (let i = 1; i < changes.length; i++) {
      const from = changes[i - 1]!;
      const to = changes[i]!;
      if (from.state === "START") continue;
      transitions.push({
        from: from.state,
        to: to.state,
        ms: Math.max(0, to.at - from.at),
        at: to.at,
        failed: to.failed,
      });
    }
    return transitions;
  }

  clear(): void {
    this.#changes.clear();
  }
}

/** "LOADING → AVAILABLE in 6 ms", "LOADING → FAILED in 1.2 s", "AVAILABLE → UNLOADING after 4 min". */
export function transitionText(t: Transition): string {
  const to = t.to === "END" && t.failed ? "FAILED" : t.to;
  const waited = t.from === "AVAILABLE" ? "after" : "in";
  return `${t.from} → ${to} ${waited} ${formatDuration(t.ms)}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A pushed state, and when the sidebar received it (its own clock). */
export interface PushedState {
  readonly event: VersionStateEvent;
  readonly receivedAt: number;
}

/**
 * The listing with the states pushed after it was asked for (`askedAt`, the sidebar's
 * clock): a listing read before a change must not draw the state the change left. A
 * version the listing lacks appears from its push (a new model's first load), unless the
 * push says it ended.
 */
export function withPushedStates(
  listed: readonly ServedModel[],
  pushed: ReadonlyMap<string, PushedState>,
  askedAt: number,
): ServedModel[] {
  const models = listed.map((m) => ({ ...m, versions: [...m.versions] }));
  for (const { event, receivedAt } of pushed.values()) {
    if (receivedAt < askedAt) continue;
    let model = models.find((m) => m.name === event.name);
    const index = model?.versions.findIndex((v) => Number(v.version) === Number(event.version));
    const patch: Pick<ServedVersion, "state" | "errorCode" | "errorMessage"> = {
      state: event.state,
      errorCode: event.status.error_code,
      errorMessage: event.status.error_message,
    };
    if (model && index !== undefined && index >= 0) {
      model.versions[index] = { ...model.versions[index]!, ...patch };
      continue;
    }
    if (event.state === "END") continue;
    if (!model) {
      model = { name: event.name, labels: {}, versions: [] };
      models.push(model);
    }
    model.versions.push({ version: event.version, labels: [], ...patch });
  }
  for (const model of models) model.versions.sort((a, b) => Number(b.version) - Number(a.version));
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/** The listing with each version's transitions (only the versions that have some). */
export function withTransitions(
  served: readonly ServedModel[],
  histories: VersionHistories,
): ServedModel[] {
  return served.map((m) => ({
    ...m,
    versions: m.versions.map((v) => {
      const transitions = histories.transitions(m.name, v.version);
      return transitions.length > 0 ? { ...v, transitions } : v;
    }),
  }));
}

export const pushedKey = key;
