import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { badModel } from "../core/errors";
import type { Loader, ResourceEstimate } from "../core/loader";
import type { Servable } from "../servable/servable";
import type { LoadContext, LoadedModel, ModelFormat } from "./model-format";

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
    this.#loaded = await format.load(this.dir, this.context);
    return this.#loaded.servable;
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
