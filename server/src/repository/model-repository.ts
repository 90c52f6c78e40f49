import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join, relative, resolve, isAbsolute } from "node:path";
import type { Logger } from "pino";
import { VALID_MODEL_NAME } from "../config/model-config-providers";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "@servable/protocol";
import { parseVersionDirName } from "./servable-version-policy";
import type { ServerCore } from "../core/server-core";

/** Folders the Source and the repository reader both ignore (not integers, leading dot). */
const UPLOAD_PREFIX = ".upload-";
const DELETE_PREFIX = ".delete-";

export interface RepositoryOptions {
  /** --model_repository, resolved; undefined when the server has none. */
  readonly root: string | undefined;
  /** True when the models served are the repository's folders (no config file). */
  readonly servesRepository: boolean;
  readonly logger: Logger;
}

/** A folder being filled by an upload, not yet a version. */
export interface PendingVersion {
  readonly name: string;
  /** Where the upload writes its files. */
  readonly filesDir: string;
  /** What to remove when the upload fails (the files' folder, or its parent for a new model). */
  readonly cleanup: string;
}

/**
 * The model repository's folders, as the management API changes them: where a model
 * lives, uploads written to a temporary folder and renamed into place, versions deleted.
 * Changes to one model's versions are serialized; the Source notices them on its next
 * poll, which this triggers.
 */
export class ModelRepository {
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly core: ServerCore,
    private readonly options: RepositoryOptions,
  ) {}

  /**
   * The folder of a model's versions when uploads and deletes may change it: a model
   * whose base path is inside the repository, or a new name when the server serves the
   * repository's folders.
   * @throws ServingError INVALID_ARGUMENT (bad name) or NOT_FOUND (not managed here)
   */
  modelDir(name: string): string {
    checkModelName(name);
    const root = this.options.root;
    const config = this.core.modelConfig(name);
    if (root && config) {
      const base = resolve(config.basePath);
      if (isInside(root, base)) return base;
    }
    if (root && !config && this.options.servesRepository) return join(root, name);
    throw notFound(
      root
        ? `Model ${name} is not in the model repository ${root}`
        : `Model ${name} cannot be changed: the server has no --model_repository`,
    );
  }

  /** Whether a model's labels belong in the repository's state folder. */
  isManaged(name: string): boolean {
    try {
      this.modelDir(name);
      return true;
    } catch {
      return false;
    }
  }

  /** A temporary folder for an upload: inside the model's folder, or beside it for a new model. */
  async startVersion(name: string): Promise<PendingVersion> {
    const modelDir = this.modelDir(name);
    const id = randomBytes(8).toString("hex");
    if (await isDirectory(modelDir)) {
      const filesDir = join(modelDir, `${UPLOAD_PREFIX}${id}`);
      await mkdir(filesDir);
      return { name, filesDir, cleanup: filesDir };
    }
    // A new model's folder appears only once it holds its first version.
    const staging = join(this.options.root!, `${UPLOAD_PREFIX}${id}`);
    const filesDir = join(staging, "files");
    await mkdir(filesDir, { recursive: true });
    return { name, filesDir, cleanup: staging };
  }

  /**
   * Renames the uploaded folder into place as `version` (or the next version), then has
   * the Source look at the model.
   * @throws ServingError ALREADY_EXISTS when the version is there already
   */
  async commitVersion(pending: PendingVersion, requested?: number): Promise<number> {
    const version = await this.#serialized(pending.name, async () => {
      const modelDir = this.modelDir(pending.name);
      const existing = await versionDirs(modelDir);
      const version = requested ?? Math.max(0, ...existing.keys()) + 1;
      if (existing.has(version)) {
        throw alreadyExists(`Version ${version} of model ${pending.name} already exists`);
      }
      if (await isDirectory(modelDir)) {
        await rename(pending.filesDir, join(modelDir, String(version)));
      } else {
        const versionDir = join(pending.cleanup, String(version));
        await rename(pending.filesDir, versionDir);
        await rename(pending.cleanup, modelDir);
      }
      return version;
    });
    this.options.logger.info(
      { model: pending.name, version },
      `Uploaded version ${version} of ${pending.name}`,
    );
    await this.#notifySource(pending.name);
    return version;
  }

  async discard(pending: PendingVersion): Promise<void> {
    await rm(pending.cleanup, { recursive: true, force: true });
  }

  /**
   * Takes a version out of the Source's sight, waits until the manager has unloaded it
   * (running requests finish first), then removes its files and its history.
   * @throws ServingError NOT_FOUND, or FAILED_PRECONDITION while a label points at it
   */
  async deleteVersion(name: string, version: number): Promise<void> {
    await this.#serialized(name, async () => {
      const modelDir = this.modelDir(name);
      const dirName = (await versionDirs(modelDir)).get(version);
      if (dirName === undefined) {
        throw notFound(`Could not find version ${version} of model ${name}`);
      }
      const labels = Object.entries(this.core.labelsOf(name))
        .filter(([, v]) => v === version)
        .map(([label]) => label);
      if (labels.length > 0) {
        throw failedPrecondition(
          `Version ${version} of model ${name} is labelled ${labels.join(", ")}: point the label at another version or remove it first`,
        );
      }
      const doomed = join(modelDir, `${DELETE_PREFIX}${randomBytes(8).toString("hex")}`);
      await rename(join(modelDir, dirName), doomed);
      await this.core.pollNow();
      await rm(doomed, { recursive: true, force: true });
      this.core.forgetVersion(name, version);
    });
    this.options.logger.info({ model: name, version }, `Deleted version ${version} of ${name}`);
  }

  /** Removes what uploads and deletes cut short by a crash left behind. */
  async sweep(): Promise<void> {
    const root = this.options.root;
    if (!root) return;
    const leftovers = async (dir: string) =>
      (await readdir(dir).catch(() => [] as string[]))
        .filter((n) => n.startsWith(UPLOAD_PREFIX) || n.startsWith(DELETE_PREFIX))
        .map((n) => join(dir, n));
    const found = await leftovers(root);
    for (const model of await readdir(root).catch(() => [] as string[])) {
      if (VALID_MODEL_NAME.test(model)) found.push(...(await leftovers(join(root, model))));
    }
    for (const path of found) {
      await rm(path, { recursive: true, force: true });
      this.options.logger.warn(
        { path },
        `Removed ${path}, left by an interrupted upload or delete`,
      );
    }
  }

  async #notifySource(name: string): Promise<void> {
    // A new model's folder becomes a model when the repository is read again.
    if (!this.core.modelConfig(name)) await this.core.reloadConfig();
    this.core
      .pollNow()
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, model: name }, "Polling after an upload failed"),
      );
  }

  #serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#locks.set(name, tail);
    void tail.then(() => {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    });
    return next;
  }
}

export function checkModelName(name: string): void {
  if (!VALID_MODEL_NAME.test(name) || name.includes("..")) {
    throw invalidArgument(
      `Invalid model name "${name}": use letters, digits, _ . - (not starting with . or -)`,
    );
  }
}

/** Version number -> folder name, for the integer-named folders of a model. */
async function versionDirs(modelDir: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const version = entry.isDirectory() ? parseVersionDirName(entry.name) : undefined;
    if (version !== undefined) found.set(version, entry.name);
  }
  return found;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}
