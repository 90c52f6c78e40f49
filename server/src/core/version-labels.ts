/**
 * Version labels per model ("stable" -> 3, "canary" -> 4) as requests resolve them here.
 *
 * Two things decide them: the labels wanted (the config file's and the repository
 * state's, given by `update`) and which versions are AVAILABLE on this server. A label
 * follows its wanted version once that version is AVAILABLE; until then it keeps the
 * version it resolved to before, if that one still serves, and that version is `held`:
 * the core keeps it loaded. So moving a label never leaves a gap on a server that is
 * still loading the new version. A label wanted at a version that is not AVAILABLE and
 * had none before does not resolve (TF Serving's "Unrecognized servable version label"),
 * unless `pointAhead` (TF Serving's --allow_version_labels_for_unavailable_models).
 *
 * Names are data: every map here is a `Map`.
 */
export class VersionLabels {
  readonly #wanted = new Map<string, ReadonlyMap<string, number>>();
  readonly #resolved = new Map<string, ReadonlyMap<string, number>>();

  /**
   * Sets a model's wanted labels and resolves them again; true when what a request
   * resolves to, or what is held, changed.
   */
  update(
    name: string,
    wanted: ReadonlyMap<string, number>,
    isAvailable: (version: number) => boolean,
    pointAhead = false,
  ): boolean {
    const before = this.#resolved.get(name) ?? new Map<string, number>();
    const heldBefore = this.held(name).join();
    const resolved = new Map<string, number>();
    for (const [label, version] of wanted) {
      const previous = before.get(label);
      if (isAvailable(version)) resolved.set(label, version);
      else if (previous !== undefined && isAvailable(previous)) resolved.set(label, previous);
      else if (pointAhead) resolved.set(label, version);
    }
    if (wanted.size > 0) this.#wanted.set(name, new Map(wanted));
    else this.#wanted.delete(name);
    if (resolved.size > 0) this.#resolved.set(name, resolved);
    else this.#resolved.delete(name);
    return !sameEntries(before, resolved) || heldBefore !== this.held(name).join();
  }

  /** The version a label resolves to now. */
  get(name: string, label: string): number | undefined {
    return this.#resolved.get(name)?.get(label);
  }

  /** A model's labels as requests resolve them, label -> version. */
  of(name: string): ReadonlyMap<string, number> {
    return this.#resolved.get(name) ?? new Map();
  }

  /** A model's wanted labels, label -> version. */
  wanted(name: string): ReadonlyMap<string, number> {
    return this.#wanted.get(name) ?? new Map();
  }

  /** Versions labels still resolve to while the versions they want load, highest first. */
  held(name: string): number[] {
    const wanted = this.#wanted.get(name);
    const held = new Set<number>();
    for (const [label, version] of this.#resolved.get(name) ?? []) {
      if (wanted?.get(label) !== version) held.add(version);
    }
    return [...held].sort((a, b) => b - a);
  }

  /** Labels pointing at one version, wanted or resolved. */
  labelsOf(name: string, version: number): string[] {
    const labels = new Set<string>();
    for (const map of [this.#wanted.get(name), this.#resolved.get(name)]) {
      for (const [label, v] of map ?? []) if (v === version) labels.add(label);
    }
    return [...labels].sort();
  }
}

function sameEntries(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}
