import {
  highestAspiredNewVersion,
  type AspiredServableStateSnapshot,
  type AspiredVersionPolicy,
  type ServableAction,
} from "./aspired-version-policy";
import type { ServableId } from "./servable-id";

/**
 * Keeps a stream serving while it changes versions: an un-aspired version is unloaded
 * only when an aspired one is ready (or when nothing is aspired any more, or when
 * several un-aspired ones serve), so the new version becomes AVAILABLE before the old
 * one starts UNLOADING. Costs memory for two versions during a swap. The server's default.
 */
export class AvailabilityPreservingPolicy implements AspiredVersionPolicy {
  nextAction(versions: readonly AspiredServableStateSnapshot[]): ServableAction | undefined {
    let hasAspired = false;
    let hasAspiredServing = false;
    const unaspiredServing: ServableId[] = [];
    for (const v of versions) {
      if (v.isAspired) {
        hasAspired = true;
        if (v.state === "ready") hasAspiredServing = true;
      } else if (v.state === "ready") {
        unaspiredServing.push(v.id);
      }
    }
    if (!hasAspired || hasAspiredServing || unaspiredServing.length > 1) {
      const lowest = lowestVersion(unaspiredServing);
      if (lowest) return { action: "unload", id: lowest };
    }
    const next = highestAspiredNewVersion(versions);
    return next && { action: "load", id: next };
  }
}

function lowestVersion(ids: readonly ServableId[]): ServableId | undefined {
  return ids.reduce<ServableId | undefined>(
    (a, b) => (!a || b.version < a.version ? b : a),
    undefined,
  );
}
