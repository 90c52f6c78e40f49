/** What the page recorded of the sidebar's rows for one model: each change as it was drawn. */
export interface Snapshot {
  /** performance.now() in the page. */
  readonly at: number;
  /** version → "STATE label label…" (labels sorted). */
  readonly versions: Record<string, string>;
  /** version → its transitions as the row shows them ("LOADING → AVAILABLE in 6 ms"). */
  readonly transitions: Record<string, string[]>;
}

/** The states a version's row was drawn with, in order, each once per change. */
export function drawnStates(snapshots: readonly Snapshot[], version: string): string[] {
  const states: string[] = [];
  for (const snapshot of snapshots) {
    const drawn = Object.hasOwn(snapshot.versions, version)
      ? snapshot.versions[version]
      : undefined;
    const state = drawn?.split(" ")[0];
    if (state && states.at(-1) !== state) states.push(state);
  }
  return states;
}

/** Every transition text a version's row showed, in the order they first appeared. */
export function drawnTransitions(snapshots: readonly Snapshot[], version: string): string[] {
  const seen: string[] = [];
  for (const snapshot of snapshots) {
    const drawn = Object.hasOwn(snapshot.transitions, version)
      ? snapshot.transitions[version]!
      : [];
    for (const text of drawn) if (!seen.includes(text)) seen.push(text);
  }
  return seen;
}
