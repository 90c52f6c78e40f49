import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { ServingError } from "@servable/protocol";
import type { Loader, ResourceEstimate } from "../core/loader";
import { loadCancelled } from "../core/load-failure";
import type { Servable } from "../core/servable";
import type { ServableId } from "../core/servable-id";
import { detectFormat } from "../formats";
import type { FormatOptions, ModelFormat } from "../formats/model-format";
import { isTransientIoError, readFailure } from "../formats/version-files";
import type { BatchingParameters } from "./batching/batching-parameters";
import { BatchingServable, type BatchRecord } from "./batching/batching-servable";
import { ReplicaPool } from "./replicas/replica-pool";
import type { WarmWorkers } from "./replicas/warm-workers";
import { startRunner } from "./start-runner";
import type { EngineSettings, VersionRunner } from "./version-runner";
import { runModelWarmup, type WarmupOutcome, type WarmupSettings } from "./warmup/model-warmup";

/** How versions execute: in this thread or in worker replicas, batched or not. */
export interface ExecutionOptions {
  /** Worker threads, each with its own copy of the version; 0 runs it in this thread. */
  readonly replicas: number;
  /** Where replicas get their worker threads (with the runtime this thread runs). */
  readonly workers?: WarmWorkers;
  /** Dynamic batching in front of the version, when enabled. */
  readonly batching?: BatchingParameters;
  readonly onBatch?: (id: ServableId, record: BatchRecord) => void;
  readonly engine?: EngineSettings;
  /** Replays a version's warmup requests before it is AVAILABLE (--enable_model_warmup). */
  readonly warmup?: WarmupSettings;
  readonly onWarmup?: (id: ServableId, outcome: WarmupOutcome) => void;
}

/** Where a version's files are read from and how, and how it then runs. */
export interface VersionLoadOptions {
  readonly formats: readonly ModelFormat[];
  readonly formatOptions: FormatOptions;
  readonly execution: ExecutionOptions;
  readonly logger: Logger;
}

/** TF Serving's RAM estimate: the version's bytes on disk times 1.2. */
export const RESOURCE_ESTIMATE_RAM_MULTIPLIER = 1.2;

/**
 * The Loader of one version directory: it detects the directory's format, has the
 * format load it — here, or in each of the version's worker replicas, which are told the
 * format rather than detecting it again — starts the engine that runs it, replays its
 * warmup requests on every copy, and puts the batcher in front when batching is on. Whatever a format throws comes out classified:
 * UNAVAILABLE (retried) for transient I/O, a permanent error otherwise.
 */
export class VersionDirectoryLoader implements Loader {
  #running: VersionRunner | undefined;

  constructor(
    readonly id: ServableId,
    readonly dir: string,
    private readonly options: VersionLoadOptions,
  ) {}

  async estimateResources(): Promise<ResourceEstimate> {
    let diskBytes: number;
    try {
      diskBytes = await directorySize(this.dir);
    } catch (error) {
      throw readFailure(error, this.dir, "the version directory");
    }
    return { ramBytes: Math.ceil(diskBytes * RESOURCE_ESTIMATE_RAM_MULTIPLIER), diskBytes };
  }

  async load(signal?: AbortSignal): Promise<Servable> {
    try {
      const format = await detectFormat(this.dir, this.options.formats);
      signal?.throwIfAborted();
      this.#running = await this.#start(format, signal);
      signal?.throwIfAborted();
      await this.#warmup(this.#running, signal);
    } catch (error) {
      // A version whose warmup failed frees what it loaded; the load's error is the story.
      await this.unload().catch(() => undefined);
      throw signal?.aborted ? loadCancelled() : classifyLoadFailure(error, this.dir);
    }
    const { batching, onBatch } = this.options.execution;
    if (!batching) return this.#running;
    const id = this.id;
    return new BatchingServable(this.#running, batching, onBatch && ((r) => onBatch(id, r)));
  }

  async unload(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    await running?.close();
  }

  async #warmup(running: VersionRunner, signal: AbortSignal | undefined): Promise<void> {
    const { warmup, onWarmup } = this.options.execution;
    if (!warmup) return;
    const id = this.id;
    const outcome = await runModelWarmup(
      this.dir,
      running,
      running.eachCopy?.() ?? [running.run.bind(running)],
      warmup,
      onWarmup && ((o) => onWarmup(id, o)),
      signal,
    );
    if (!outcome) return;
    this.options.logger.info(
      {
        model: id.name,
        version: id.version,
        warmupRecords: outcome.records,
        warmupMs: outcome.latencyUs / 1000,
      },
      `Finished reading warmup data for model at ${outcome.path}. Number of warmup records read: ${outcome.records}. Elapsed time (microseconds): ${outcome.latencyUs}.`,
    );
  }

  async #start(format: ModelFormat, signal: AbortSignal | undefined): Promise<VersionRunner> {
    const { replicas, workers, engine } = this.options.execution;
    const { logger, formatOptions } = this.options;
    if (replicas > 0 && workers) {
      const spec = { dir: this.dir, format: format.name, formatOptions, engine: engine ?? {} };
      return ReplicaPool.start(spec, replicas, workers, logger, signal);
    }
    return loadInThread(this.dir, format, { logger, options: formatOptions }, engine);
  }
}

/** Loads a version with `format` and starts its engine, in the calling thread. */
export async function loadInThread(
  dir: string,
  format: ModelFormat,
  context: Parameters<ModelFormat["load"]>[1],
  engine?: EngineSettings,
): Promise<VersionRunner> {
  const loaded = await format.load(dir, context);
  try {
    return await startRunner(loaded, engine);
  } catch (error) {
    if (loaded.engine === "tfjs") loaded.dispose();
    throw error;
  }
}

/**
 * A load failure as the manager needs it: ServingErrors as their loader made them,
 * transient I/O as UNAVAILABLE, anything else — an exception no format expected — as a
 * permanent failure of this version, named.
 */
export function classifyLoadFailure(error: unknown, dir: string): ServingError {
  if (error instanceof ServingError) return error;
  const message = `Loading ${dir} failed: ${(error as Error)?.message ?? String(error)}`;
  if (isTransientIoError(error)) return new ServingError("UNAVAILABLE", message);
  return new ServingError("INTERNAL", message, false);
}

/** Total bytes of the regular files under `dir`. */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}
