import { mkdir, open, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import {
  frameTfRecord,
  requestLogFileName,
  requestLogFiles,
  resourceExhausted,
} from "@servable/protocol";

/** How big a request log grows. */
export interface RotationLimits {
  /** A file is closed, and the next one started, before a record would take it past this. */
  readonly maxFileBytes: number;
  /** Files kept per prefix: starting one deletes the oldest beyond this (0 = keep all). */
  readonly maxFiles: number;
  /** Bytes queued and not yet written past which records are dropped, not queued. */
  readonly maxPendingBytes: number;
}

/**
 * The TFRecord files of one `filename_prefix`: `<prefix>-00000.tfrecord`,
 * `<prefix>-00001.tfrecord`, … Records are appended one at a time, in order, by one queue.
 * A new file is started when the next record would take the current one past
 * `maxFileBytes` (a record bigger than that gets a file of its own), and at each start of
 * the server (after the highest number already there, so nothing is overwritten). A
 * failed write closes its file, which may end in a torn record: the next record starts a
 * new file, so every file reads back up to its first tear.
 */
export class RotatingRecordFile {
  #queue: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #handle: FileHandle | undefined;
  #size = 0;
  /** The number of the file being written, -1 before the first. */
  #index = -1;
  #closed = false;

  constructor(
    readonly prefix: string,
    private readonly limits: RotationLimits,
  ) {}

  /**
   * Queues one record. Resolves once it is written; rejects with the write's error, or
   * at once with RESOURCE_EXHAUSTED when `maxPendingBytes` are already queued.
   */
  append(record: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`The request log ${this.prefix} is closed`));
    const frame = frameTfRecord(record);
    if (this.#pendingBytes + frame.length > this.limits.maxPendingBytes) {
      return Promise.reject(
        resourceExhausted(`Request log ${this.prefix}: ${this.#pendingBytes} bytes are waiting`),
      );
    }
    this.#pendingBytes += frame.length;
    const written = this.#queue.then(() => this.#write(frame));
    this.#queue = written.then(
      () => {
        this.#pendingBytes -= frame.length;
      },
      () => {
        this.#pendingBytes -= frame.length;
      },
    );
    return written;
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  async #write(frame: Uint8Array): Promise<void> {
    if (this.#handle && this.#size > 0 && this.#size + frame.length > this.limits.maxFileBytes) {
      await this.#closeFile();
    }
    const handle = this.#handle ?? (await this.#nextFile());
    try {
      await handle.appendFile(frame);
      this.#size += frame.length;
    } catch (error) {
      await this.#closeFile();
      throw error;
    }
  }

  async #closeFile(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  async #nextFile(): Promise<FileHandle> {
    const dir = dirname(this.prefix);
    await mkdir(dir, { recursive: true });
    if (this.#index < 0) this.#index = (await this.#highestIndex()) + 1;
    else this.#index += 1;
    this.#handle = await open(requestLogFileName(this.prefix, this.#index), "a");
    this.#size = 0;
    await this.#prune();
    return this.#handle;
  }

  async #highestIndex(): Promise<number> {
    return Math.max(-1, ...(await requestLogFiles(this.prefix)).map((f) => f.index));
  }

  async #prune(): Promise<void> {
    if (this.limits.maxFiles <= 0) return;
    const oldest = this.#index - this.limits.maxFiles;
    for (const file of await requestLogFiles(this.prefix)) {
      if (file.index <= oldest) await rm(file.path, { force: true });
    }
  }
}
