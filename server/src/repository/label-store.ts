import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Label -> version, per model. */
export type LabelMap = Record<string, Record<string, number>>;

/**
 * Labels set through the management API, kept in the repository's state folder
 * (`<repository>/.servable/labels.json`) so that they survive a restart. Writes go
 * through a rename: a crash leaves the old file or the new one, never half of one.
 */
export class LabelStore {
  readonly #path: string;
  #labels: LabelMap = {};
  #writing: Promise<void> = Promise.resolve();

  constructor(repositoryRoot: string) {
    this.#path = join(repositoryRoot, ".servable", "labels.json");
  }

  get path(): string {
    return this.#path;
  }

  /** Reads the file; a missing file is no labels, a broken one is an error worth stopping for. */
  async load(): Promise<LabelMap> {
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return (this.#labels = {});
      throw error;
    }
    this.#labels = parseLabels(text, this.#path);
    return structuredClone(this.#labels);
  }

  set(name: string, label: string, version: number): Promise<void> {
    (this.#labels[name] ??= {})[label] = version;
    return this.#save();
  }

  delete(name: string, label: string): Promise<void> {
    const labels = this.#labels[name];
    if (labels) {
      delete labels[label];
      if (Object.keys(labels).length === 0) delete this.#labels[name];
    }
    return this.#save();
  }

  #save(): Promise<void> {
    const snapshot = `${JSON.stringify(this.#labels, null, 1)}\n`;
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(join(this.#path, ".."), { recursive: true });
        const temporary = `${this.#path}.${randomBytes(6).toString("hex")}.tmp`;
        await writeFile(temporary, snapshot);
        await rename(temporary, this.#path);
      });
    return this.#writing;
  }
}

function parseLabels(text: string, path: string): LabelMap {
  const fail = (): never => {
    throw new Error(`${path} is not {"<model>": {"<label>": <version>}}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail();
  }
  if (!isRecord(parsed)) fail();
  const labels: LabelMap = {};
  for (const [name, map] of Object.entries(parsed as Record<string, unknown>)) {
    if (!isRecord(map)) fail();
    for (const [label, version] of Object.entries(map as Record<string, unknown>)) {
      if (!Number.isSafeInteger(version)) fail();
      (labels[name] ??= {})[label] = version as number;
    }
  }
  return labels;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
