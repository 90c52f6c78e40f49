import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { parseVersion } from "@servable/protocol";
import { selectVersions, type ServableVersionPolicy } from "./servable-version-policy";

/** One model the source watches. */
export interface WatchedModel {
  readonly name: string;
  readonly basePath: string;
  readonly versionPolicy: ServableVersionPolicy;
  /**
   * Versions served whatever the policy says, when present: those the repository state's
   * labels point at (read by `beforePoll`).
   */
  readonly pinnedVersions?: () => readonly number[];
}

/** A version directory the source found and wants served. */
export interface StoragePathVersion {
  readonly version: number;
  readonly path: string;
}

export type AspiredVersionsCallback = (
  name: string,
  versions: readonly StoragePathVersion[],
) => void;

/**
 * Polls each model's base path (TF Serving's FileSystemStoragePathSource): its
 * integer-named child directories are versions; the version policy picks which of them
 * are aspired, and the callback hears the list whenever it changes. It keeps no other
 * state: a version that disappears is left out of the next list, and the manager
 * unloads it.
 */
export class FileSystemStoragePathSource {
  #models: readonly WatchedModel[] = [];
  readonly #lastEmitted = new Map<string, string>();
  readonly #lastWarning = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #nextPoll: Promise<void> | undefined;

  constructor(
    private readonly callback: AspiredVersionsCallback,
    private readonly options: {
      pollWaitSeconds: number;
      logger: Logger;
      /** Runs at the start of every pass: reads what the pinned versions come from. */
      beforePoll?: () => Promise<void>;
    },
  ) {}

  /** Replaces the watched models; models no longer watched get an empty aspired list. */
  async setModels(models: readonly WatchedModel[]): Promise<void> {
    const kept = new Set(models.map((m) => m.name));
    for (const old of this.#models) {
      if (!kept.has(old.name)) {
        this.#lastEmitted.delete(old.name);
        this.callback(old.name, []);
      }
    }
    this.#models = models;
    await this.poll();
  }

  /** Polls now (then every pollWaitSeconds if > 0; 0 polls once, < 0 never polls again). */
  start(): void {
    const seconds = this.options.pollWaitSeconds;
    if (seconds > 0 && !this.#timer) {
      this.#timer = setInterval(() => void this.poll(), seconds * 1000);
      this.#timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One pass over every model. A pass already under way may have started before the
   * caller's change (setModels), so a call during one gets the next pass, which callers
   * meanwhile share.
   */
  poll(): Promise<void> {
    if (!this.#polling) {
      this.#polling = this.#pollAll().finally(() => (this.#polling = undefined));
      return this.#polling;
    }
    this.#nextPoll ??= this.#polling.then(() => {
      this.#nextPoll = undefined;
      return this.poll();
    });
    return this.#nextPoll;
  }

  async #pollAll(): Promise<void> {
    await this.options.beforePoll?.();
    await Promise.all(this.#models.map((model) => this.#pollModel(model)));
  }

  async #pollModel(model: WatchedModel): Promise<void> {
    let present: Map<number, string>;
    try {
      present = await listVersionDirs(model.basePath);
    } catch (error) {
      // Unreadable is not empty: keep serving what is loaded until the path is back.
      this.#warnOnce(
        model,
        `Unable to read base path ${model.basePath}: ${(error as Error).message}`,
      );
      return;
    }
    if (present.size === 0) {
      this.#warnOnce(
        model,
        `No versions of servable ${model.name} found under base path ${model.basePath}. ` +
          "Did you forget to name your leaf directory as a number (eg. '/1/')?",
      );
    }
    const pinned = (model.pinnedVersions?.() ?? []).filter((v) => present.has(v));
    const aspired = [
      ...new Set([...selectVersions(model.versionPolicy, [...present.keys()]), ...pinned]),
    ].sort((a, b) => b - a);
    const key = aspired.join(",");
    // The config may have changed while the directory was read.
    if (!this.#models.includes(model)) return;
    if (this.#lastEmitted.get(model.name) === key) return;
    this.#lastEmitted.set(model.name, key);
    this.callback(
      model.name,
      aspired.map((version) => ({ version, path: join(model.basePath, present.get(version)!) })),
    );
  }

  #warnOnce(model: WatchedModel, message: string): void {
    if (this.#lastWarning.get(model.name) === message) return;
    this.#lastWarning.set(model.name, message);
    this.options.logger.warn({ model: model.name }, message);
  }
}

/** Version number -> directory name ("00000123" and "123" both name version 123). */
async function listVersionDirs(basePath: string): Promise<Map<number, string>> {
  const entries = await readdir(basePath, { withFileTypes: true });
  const versions = new Map<number, string>();
  for (const entry of entries) {
    const version = entry.isDirectory() ? parseVersion(entry.name) : undefined;
    if (version !== undefined) versions.set(version, entry.name);
  }
  return versions;
}
