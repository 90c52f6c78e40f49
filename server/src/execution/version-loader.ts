import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { BatchingParameters } from "./batching/batching-parameters";
import { BatchingServable, type BatchRecord } from "./batching/batching-servable";
import { badModel } from "@servable/protocol";
import type { Loader, ResourceEstimate } from "../core/loader";
import type { ServableId } from "../core/servable-id";
import { ReplicaPool } from "./replicas/replica-pool";
import type { WarmWorkers } from "./replicas/warm-workers";
import type { Servable } from "../core/servable";
import type { LoadContext, LoadedModel, ModelFormat } from "../formats/model-format";

/** How a loaded version executes: in this thread or in worker replicas, batched or not. */
export interface ExecutionOptions {
  /** Worker threads, each with its own copy of the version; 0 runs it in this thread. */
  readonly replicas: number;
  /** Where replicas get their worker threads (with the runtime this thread runs). */
  readonly workers?: WarmWorkers;
  /** Dynamic batching in front of the version, when enabled. */
  readonly batching?: BatchingParameters;
  readonly onBatch?: (id: ServableId, record: BatchRecord) => void;
}

export const IN_THREAD: ExecutionOptions = { replicas: 0 };

/** TF Serving's RAM estimate: the version's bytes on disk times 1.2. */
export const RESOURCE_ESTIMATE_RAM_MULTIPLIER = 1.2;

/**
 * The Loader for one version directory (TF Serving's SourceAdapter output): it finds
 * which format the directory holds when it loads, and hands the work to that format.
 */
export class VersionDirectoryLoader implements Loader {
  #loaded: LoadedModel | undefined;

  constructor(
    readonly dir: string,
    private readonly formats: readonly ModelFormat[],
    private readonly context: LoadContext,
    private readonly execution: ExecutionOptions = IN_THREAD,
    private readonly id?: ServableId,
  ) {}

  async estimateResources(): Promise<ResourceEstimate> {
    const diskBytes = await directorySize(this.dir);
    return { ramBytes: Math.ceil(diskBytes * RESOURCE_ESTIMATE_RAM_MULTIPLIER), diskBytes };
  }

  async load(): Promise<Servable> {
    const files = await readdir(this.dir);
    const format = this.formats.find((f) => f.detect(files));
    if (!format) {
      throw badModel(
        `No model found in ${this.dir}: expected one of ${this.formats.map(describeFormat).join(", ")}`,
      );
    }
    this.#loaded = await this.#loadWith(format);
    const { batching, onBatch } = this.execution;
    if (!batching) return this.#loaded.servable;
    const id = this.id;
    return new BatchingServable(
      this.#loaded.servable,
      batching,
      id && onBatch && ((r) => onBatch(id, r)),
    );
  }

  async #loadWith(format: ModelFormat): Promise<LoadedModel> {
    const { replicas, workers } = this.execution;
    if (replicas <= 0 || !workers) return format.load(this.dir, this.context);
    const { savedModelTags, ...formatOptions } = this.context.options;
    const pool = await ReplicaPool.start(
      { dir: this.dir, savedModelTags, formatOptions },
      replicas,
      workers,
      this.context.logger,
    );
    return { servable: pool, unload: () => pool.close() };
  }

  async unload(): Promise<void> {
    const loaded = this.#loaded;
    this.#loaded = undefined;
    await loaded?.unload();
  }
}

const FORMAT_FILES: Record<string, string> = {
  tfjs: "model.json (TF.js)",
  savedmodel: "saved_model.pb (SavedModel)",
  onnx: "model.onnx (ONNX)",
};

function describeFormat(format: ModelFormat): string {
  return FORMAT_FILES[format.name] ?? format.name;
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
