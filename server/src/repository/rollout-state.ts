import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { isModelName } from "@servable/protocol";
import {
  createFileExclusive,
  errorCode,
  listNames,
  readIfExists,
  writeFileAtomic,
} from "./atomic-file";
import {
  formatRolloutRecord,
  parseRolloutRecord,
  sameRecord,
  type RolloutRecord,
} from "./rollout-record";
import type { StateLayout } from "./state-layout";

/**
 * Where the rollout records live (rollout-record.ts): one per model. Like the label state,
 * the server core reads it again before every version poll (`refresh`), so every server
 * on a repository routes by the same records, and it keeps the versions a record names
 * served (`pinnedVersions`). The management API and the guard rails write to it.
 */
export interface RolloutState {
  /** Says where the records are, for logs and errors. */
  readonly describe: string;
  /** Reads the records again. */
  refresh(): Promise<void>;
  /** The records as last read (or written by this server since). */
  current(): ReadonlyMap<string, RolloutRecord>;
  /** Versions kept served whatever the version policy says: the candidate. */
  pinnedVersions(model: string): readonly number[];
  write(model: string, record: RolloutRecord): Promise<void>;
  /** Removes a model's record; false when it had none. */
  remove(model: string): Promise<boolean>;
  /**
   * Writes `next` only while the record is still `expected` as the state holds it now (read
   * again from the repository), and only once per `expected` record whichever servers try:
   * a decision made on a record nobody has changed since, taken by one server.
   * @returns `written`; `changed` (the record is another now); `taken` (another server
   *   claimed this decision and writes it)
   */
  replaceIf(model: string, expected: RolloutRecord, next: RolloutRecord): Promise<ReplaceOutcome>;
}

export type ReplaceOutcome = "written" | "changed" | "taken";

/** The records a state holds, as both states answer for them. */
abstract class HeldRecords {
  protected records = new Map<string, RolloutRecord>();

  current(): ReadonlyMap<string, RolloutRecord> {
    return this.records;
  }

  pinnedVersions(model: string): readonly number[] {
    const record = this.records.get(model);
    return record ? [record.candidate] : [];
  }
}

/** Rollouts of a server without a model repository: they live as long as the process. */
export class MemoryRolloutState extends HeldRecords implements RolloutState {
  readonly describe = "this server's memory (no --model_repository)";

  async refresh(): Promise<void> {}

  async write(model: string, record: RolloutRecord): Promise<void> {
    this.records.set(model, record);
  }

  async remove(model: string): Promise<boolean> {
    return this.records.delete(model);
  }

  async replaceIf(
    model: string,
    expected: RolloutRecord,
    next: RolloutRecord,
  ): Promise<ReplaceOutcome> {
    if (!sameRecord(this.records.get(model), expected)) return "changed";
    this.records.set(model, next);
    return "written";
  }
}

/**
 * Rollouts in the repository state, `.servable/models/<model>/rollout.json`, written whole
 * through a rename as the label files are: a reader sees the old record or the new one.
 * A file that does not parse is reported and the model keeps the record last read (a tool
 * caught mid-write is read again next poll); a removed file ends the rollout.
 *
 * A conditional write (`replaceIf`, the guard rails' rollback) first claims the record it
 * judged: `rollout-decisions/<hash of that record>`, created exclusively. Servers that reach
 * the same verdict on the same record race for that one file; the one that creates it
 * writes, the others find it taken and write nothing.
 */
export class RepositoryRolloutState extends HeldRecords implements RolloutState {
  readonly describe: string;
  readonly #warned = new Map<string, string>();

  constructor(
    private readonly layout: StateLayout,
    /** A folder on the same volume for the files being written (the staging folder). */
    private readonly tempDir: () => string,
    private readonly logger: Logger,
  ) {
    super();
    this.describe = `the repository state ${layout.modelsDir}`;
  }

  async refresh(): Promise<void> {
    const next = new Map<string, RolloutRecord>();
    for (const model of await listNames(this.layout.modelsDir)) {
      if (!isModelName(model)) continue;
      const record = await this.#read(model);
      if (record) next.set(model, record);
    }
    this.records = next;
  }

  async write(model: string, record: RolloutRecord): Promise<void> {
    await writeFileAtomic(
      this.layout.rolloutFile(model),
      formatRolloutRecord(record),
      this.tempDir(),
    );
    this.records.set(model, record);
  }

  async remove(model: string): Promise<boolean> {
    let removed = true;
    try {
      await rm(this.layout.rolloutFile(model));
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      removed = false;
    }
    this.records.delete(model);
    await rm(this.layout.rolloutDecisionsDir(model), { recursive: true, force: true });
    return removed;
  }

  async replaceIf(
    model: string,
    expected: RolloutRecord,
    next: RolloutRecord,
  ): Promise<ReplaceOutcome> {
    const now = await this.#read(model);
    if (!sameRecord(now, expected)) {
      if (now) this.records.set(model, now);
      else this.records.delete(model);
      return "changed";
    }
    const claim = join(
      this.layout.rolloutDecisionsDir(model),
      createHash("sha256").update(formatRolloutRecord(expected)).digest("hex").slice(0, 32),
    );
    if (!(await createFileExclusive(claim, formatRolloutRecord(next), this.tempDir()))) {
      return "taken";
    }
    await this.write(model, next);
    return "written";
  }

  /** The model's record; when its file does not parse, the record last read. */
  async #read(model: string): Promise<RolloutRecord | undefined> {
    const path = this.layout.rolloutFile(model);
    const text = await readIfExists(path);
    if (text === undefined) return undefined;
    const record = parseRolloutRecord(text);
    if (typeof record !== "string") {
      this.#warned.delete(path);
      return record;
    }
    if (this.#warned.get(path) !== record) {
      this.#warned.set(path, record);
      this.logger.error(
        { path },
        `Rollout file ${path} is not a rollout record (${record}): ${model} keeps the rollout last read`,
      );
    }
    return this.records.get(model);
  }
}
