/**
 * Version labels per model ("stable" -> 3, "canary" -> 4): names a request may use
 * instead of a version number. Pure state; ServerCore checks that a label points at an
 * AVAILABLE version before it sets one.
 */
export class VersionLabels {
  readonly #labels = new Map<string, Map<string, number>>();

  get(name: string, label: string): number | undefined {
    return this.#labels.get(name)?.get(label);
  }

  set(name: string, label: string, version: number): void {
    let labels = this.#labels.get(name);
    if (!labels) this.#labels.set(name, (labels = new Map()));
    labels.set(label, version);
  }

  delete(name: string, label: string): boolean {
    return this.#labels.get(name)?.delete(label) ?? false;
  }

  /** Replaces all labels of a model (a reloaded config is the whole truth). */
  replace(name: string, labels: Readonly<Record<string, number>>): void {
    this.#labels.set(name, new Map(Object.entries(labels)));
  }

  /** Labels of a model, label -> version. */
  of(name: string): Record<string, number> {
    return Object.fromEntries(this.#labels.get(name) ?? []);
  }

  /** Labels pointing at one version. */
  labelsOf(name: string, version: number): string[] {
    return [...(this.#labels.get(name) ?? [])].filter(([, v]) => v === version).map(([l]) => l);
  }

  static readonly VALID_LABEL = /^[A-Za-z0-9_]+$/;
}
