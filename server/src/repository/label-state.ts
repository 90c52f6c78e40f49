import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import { isLabel, isModelName, own, versionFromJson } from "@servable/protocol";
import { errorCode, listNames, readIfExists, writeFileAtomic } from "./atomic-file";
import { LABEL_SUFFIX, type StateLayout } from "./state-layout";

/** label -> version, per model. */
export type LabelMap = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * Where the labels set through the management API live. The server core follows it: it
 * reads it again before every version poll (`refresh`) and resolves requests' labels
 * from what it read; the management API writes to it and never to the core.
 */
export interface LabelState {
  /** Says where the labels are, for logs and errors. */
  readonly describe: string;
  /** Reads the labels again. */
  refresh(): Promise<void>;
  /** The labels as last read. */
  current(): LabelMap;
  set(model: string, label: string, version: number): Promise<void>;
  /** Removes a label; false when the model had no such label. */
  delete(model: string, label: string): Promise<boolean>;
}

/** Labels of a server without a model repository: they live as long as the process. */
export class MemoryLabelState implements LabelState {
  readonly describe = "this server's memory (no --model_repository)";
  readonly #labels = new Map<string, Map<string, number>>();

  async refresh(): Promise<void> {}

  current(): LabelMap {
    return this.#labels;
  }

  async set(model: string, label: string, version: number): Promise<void> {
    let labels = this.#labels.get(model);
    if (!labels) this.#labels.set(model, (labels = new Map()));
    labels.set(label, version);
  }

  async delete(model: string, label: string): Promise<boolean> {
    const labels = this.#labels.get(model);
    const deleted = labels?.delete(label) ?? false;
    if (labels?.size === 0) this.#labels.delete(model);
    return deleted;
  }
}

/**
 * Labels in the repository state, one file per label
 * (`.servable/models/<model>/labels/<label>.json`, `{"version": 3}`), so that two servers
 * writing different labels never touch the same file, and two writing the same label
 * leave the one renamed last, which every server then reads. An operator reads them with
 * `cat`, and a GitOps tool writes them (whole, or through a rename).
 *
 * A file that does not parse is reported and its label keeps the version last read (a
 * file caught half-written by a tool that writes in place is read again next poll).
 */
export class RepositoryLabelState implements LabelState {
  readonly describe: string;
  #labels: LabelMap = new Map();
  readonly #warned = new Set<string>();

  constructor(
    private readonly layout: StateLayout,
    /** A folder on the same volume for the files being written (the staging folder). */
    private readonly tempDir: () => string,
    private readonly logger: Logger,
    private readonly identity: string,
  ) {
    this.describe = `the repository state ${layout.modelsDir}`;
  }

  async refresh(): Promise<void> {
    const next = new Map<string, Map<string, number>>();
    for (const model of await listNames(this.layout.modelsDir)) {
      if (!isModelName(model)) continue;
      const labels = new Map<string, number>();
      for (const file of await listNames(this.layout.labelsDir(model))) {
        if (!file.endsWith(LABEL_SUFFIX)) continue;
        const label = file.slice(0, -LABEL_SUFFIX.length);
        if (!isLabel(label)) continue;
        const version = await this.#readLabel(model, label);
        if (version !== undefined) labels.set(label, version);
      }
      if (labels.size > 0) next.set(model, labels);
    }
    this.#labels = next;
  }

  current(): LabelMap {
    return this.#labels;
  }

  async set(model: string, label: string, version: number): Promise<void> {
    const record = { version, set_by: this.identity, set_at: new Date().toISOString() };
    await writeFileAtomic(
      this.layout.labelFile(model, label),
      `${JSON.stringify(record)}\n`,
      this.tempDir(),
    );
  }

  async delete(model: string, label: string): Promise<boolean> {
    try {
      await rm(this.layout.labelFile(model, label));
      return true;
    } catch (error) {
      if (errorCode(error) === "ENOENT") return false;
      throw error;
    }
  }

  /** The label's version; when the file does not parse, the version last read. */
  async #readLabel(model: string, label: string): Promise<number | undefined> {
    const path = this.layout.labelFile(model, label);
    const text = await readIfExists(path);
    if (text === undefined) return undefined;
    let version: number | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        version = versionFromJson(own(parsed as Record<string, unknown>, "version"));
      }
    } catch {
      version = undefined;
    }
    if (version !== undefined) {
      this.#warned.delete(path);
      return version;
    }
    if (!this.#warned.has(path)) {
      this.#warned.add(path);
      this.logger.error(
        { path },
        `Label file ${path} is not {"version": N}: label ${label} of ${model} keeps the version last read`,
      );
    }
    return this.#labels.get(model)?.get(label);
  }
}
