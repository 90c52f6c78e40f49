import type { AspiredVersionsManager } from "./aspired-versions-manager";
import type { ServableState } from "./servable-state";

/**
 * Remembers the last state of every version the manager has reported, END ones included
 * (a failed load keeps its error here after the manager forgets the version), as TF
 * Serving's ServableStateMonitor does for GetModelStatus.
 */
export class ServableStateMonitor {
  readonly #states = new Map<string, Map<number, ServableState>>();
  readonly #availableSince = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(manager: AspiredVersionsManager) {
    this.#unsubscribe = manager.subscribe((state) => this.#record(state));
  }

  /** Every version of a model ever reported, highest version first. */
  versionStates(name: string): ServableState[] {
    const versions = this.#states.get(name);
    return versions ? [...versions.values()].sort((a, b) => b.id.version - a.id.version) : [];
  }

  modelNames(): string[] {
    return [...this.#states.keys()].sort();
  }

  /** When the version last became AVAILABLE, if it ever did. */
  availableSince(name: string, version: number): number | undefined {
    return this.#availableSince.get(`${name}\u0000${version}`);
  }

  /** Drops what is remembered of a version (after its files were deleted). */
  forget(name: string, version: number): void {
    this.#states.get(name)?.delete(version);
    this.#availableSince.delete(`${name}\u0000${version}`);
  }

  close(): void {
    this.#unsubscribe();
  }

  #record(state: ServableState): void {
    const { name, version } = state.id;
    let versions = this.#states.get(name);
    if (!versions) this.#states.set(name, (versions = new Map()));
    const previous = versions.get(version);
    versions.set(version, {
      ...state,
      estimatedBytes: state.estimatedBytes ?? previous?.estimatedBytes,
      diskBytes: state.diskBytes ?? previous?.diskBytes,
      // A version that leaves keeps saying what ran it.
      runtime: state.runtime ?? (state.state === "UNLOADING" ? previous?.runtime : undefined),
      engineReason:
        state.engineReason ?? (state.state === "UNLOADING" ? previous?.engineReason : undefined),
    });
    if (state.state === "AVAILABLE")
      this.#availableSince.set(`${name}\u0000${version}`, state.since);
  }
}
