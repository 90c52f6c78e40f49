import {
  highestAspiredNewVersion,
  type AspiredServableStateSnapshot,
  type AspiredVersionPolicy,
  type ServableAction,
} from "./aspired-version-policy";

/**
 * Frees memory before it takes more: every un-aspired version is unloaded before a new
 * one loads, and nothing loads while an unload is still under way. A stream is briefly
 * unavailable during a swap; use it when one version fills most of the host's memory.
 */
export class ResourcePreservingPolicy implements AspiredVersionPolicy {
  nextAction(versions: readonly AspiredServableStateSnapshot[]): ServableAction | undefined {
    for (const v of versions) {
      if (!v.isAspired && v.state === "ready") return { action: "unload", id: v.id };
    }
    if (versions.some((v) => v.state === "quiescing" || v.state === "unloading")) return undefined;
    const next = highestAspiredNewVersion(versions);
    return next && { action: "load", id: next };
  }
}
