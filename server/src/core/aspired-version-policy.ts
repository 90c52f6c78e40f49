import type { ServableId } from "./servable-id";

/**
 * The states of a version inside the manager (TF Serving's LoaderHarness states, folded
 * to the ones a policy needs). `retrying` is a load that failed transiently and waits for
 * its next attempt without holding a load slot.
 */
export type HarnessState =
  "new" | "loading" | "retrying" | "ready" | "quiescing" | "unloading" | "disabled" | "error";

export interface AspiredServableStateSnapshot {
  readonly id: ServableId;
  readonly state: HarnessState;
  readonly isAspired: boolean;
}

export interface ServableAction {
  readonly action: "load" | "unload";
  readonly id: ServableId;
}

/**
 * Decides the next load or unload for one servable stream from a snapshot of its
 * versions. Policies are stateless and idempotent: the manager asks again after every
 * action, and an action it cannot take yet is asked for again later.
 */
export interface AspiredVersionPolicy {
  nextAction(versions: readonly AspiredServableStateSnapshot[]): ServableAction | undefined;
}

/** The highest aspired version that has not started loading, if any. */
export function highestAspiredNewVersion(
  versions: readonly AspiredServableStateSnapshot[],
): ServableId | undefined {
  let best: ServableId | undefined;
  for (const v of versions) {
    if (v.isAspired && v.state === "new" && (!best || v.id.version > best.version)) best = v.id;
  }
  return best;
}
