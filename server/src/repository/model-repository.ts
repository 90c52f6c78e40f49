import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Logger } from "pino";
import {
  alreadyExists,
  modelNameProblem,
  notFound,
  parseVersion,
  ServingError,
  invalidArgument,
  versionFolders,
} from "@servable/protocol";
import { createFileExclusive, errorCode } from "./atomic-file";
import type { StagingArea } from "./staging-area";
import type { StateLayout } from "./state-layout";

export interface ModelRepositoryOptions {
  readonly layout: StateLayout;
  readonly staging: StagingArea;
  /** The base path a served model has, if the server serves it. */
  readonly basePathOf: (name: string) => string | undefined;
  /** True when the models served are the repository's folders (no config file). */
  readonly servesRepository: boolean;
  readonly logger: Logger;
}

/** An upload being received: its files go to `filesDir`, in the server's staging folder. */
export interface PendingUpload {
  readonly name: string;
  readonly filesDir: string;
  /** The staging folder to remove once the upload is in place or has failed. */
  readonly dir: string;
}

/** A version taken out of every Source's sight, whose files are yet to be removed. */
export interface HiddenVersion {
  readonly name: string;
  readonly version: number;
  readonly dir: string;
}

const MAX_ALLOCATION_ATTEMPTS = 1000;

/**
 * The model repository's version folders, as the management API changes them, shared by
 * every server on the repository. Uploads are received in the server's staging folder
 * and renamed into place; a delete renames the version into the staging folder first.
 *
 * Version numbers are allocated through the file system, so servers agree without
 * talking: a number is taken by creating `.servable/models/<m>/allocated/<N>` (created
 * once, by one server, and kept), and the rename into `<m>/<N>` fails when that folder
 * exists. So two uploads never get the same number, a deleted version's number is never
 * given to another upload (a server that has not noticed the delete yet would take the
 * new files for the old version), and `?version=N` taken by any server is 409.
 */
export class ModelRepository {
  constructor(private readonly options: ModelRepositoryOptions) {}

  get root(): string {
    return this.options.layout.repository;
  }

  /**
   * The folder of a model's versions when uploads and deletes may change it: a served
   * model whose base path is inside the repository, or a new name when the server serves
   * the repository's folders.
   * @throws ServingError INVALID_ARGUMENT (bad name) or NOT_FOUND (not managed here)
   */
  modelDir(name: string): string {
    const problem = modelNameProblem(name);
    if (problem) throw invalidArgument(problem);
    const basePath = this.options.basePathOf(name);
    if (basePath !== undefined) {
      const base = resolve(basePath);
      if (isInside(this.root, base)) return base;
      throw notFound(`Model ${name} is not in the model repository ${this.root}`);
    }
    if (this.options.servesRepository) return join(this.root, name);
    throw notFound(`Model ${name} is not in the model repository ${this.root}`);
  }

  /** Makes a staging folder for an upload to `name`. */
  async startUpload(name: string): Promise<PendingUpload> {
    this.modelDir(name);
    const dir = this.options.staging.newPath("upload");
    const filesDir = join(dir, "files");
    await mkdir(filesDir, { recursive: true });
    return { name, filesDir, dir };
  }

  /**
   * Puts the received files in place as version `requested`, or as the next version free
   * on every server; returns the version.
   * @throws ServingError ALREADY_EXISTS when `requested` is taken
   */
  async commitUpload(upload: PendingUpload, requested?: number): Promise<number> {
    const modelDir = this.modelDir(upload.name);
    for (let attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
      const version = requested ?? (await this.#nextFree(upload.name, modelDir));
      if (requested !== undefined && (await versionFolders(modelDir)).has(version)) {
        throw taken(upload.name, version);
      }
      if (!(await this.#claim(upload.name, version))) {
        if (requested !== undefined) throw takenBefore(upload.name, version);
        continue;
      }
      if (await this.#moveIntoPlace(upload, modelDir, version)) {
        this.options.logger.info(
          { model: upload.name, version },
          `Uploaded version ${version} of ${upload.name}`,
        );
        return version;
      }
      // Someone put a folder there by hand after the number was claimed.
      if (requested !== undefined) throw taken(upload.name, version);
    }
    throw new ServingError(
      "ABORTED",
      `No free version number for model ${upload.name} after ${MAX_ALLOCATION_ATTEMPTS} attempts`,
    );
  }

  /** Removes an upload's staging folder (whatever of it was not put in place). */
  async discardUpload(upload: PendingUpload): Promise<void> {
    await rm(upload.dir, { recursive: true, force: true });
  }

  /**
   * Moves a version's folder into this server's staging folder, out of every Source's
   * sight; its number stays taken.
   * @throws ServingError NOT_FOUND
   */
  async hideVersion(name: string, version: number): Promise<HiddenVersion> {
    const modelDir = this.modelDir(name);
    const dirName = (await versionFolders(modelDir)).get(version);
    if (dirName === undefined) throw notFound(`Could not find version ${version} of model ${name}`);
    await this.#claim(name, version);
    const dir = this.options.staging.newPath("delete");
    try {
      await rename(join(modelDir, dirName), dir);
    } catch (error) {
      // Another server deleted it first.
      if (errorCode(error) === "ENOENT") {
        throw notFound(`Could not find version ${version} of model ${name}`);
      }
      throw error;
    }
    return { name, version, dir };
  }

  /** Removes a hidden version's files. */
  async removeHidden(hidden: HiddenVersion): Promise<void> {
    await rm(hidden.dir, { recursive: true, force: true });
    this.options.logger.info(
      { model: hidden.name, version: hidden.version },
      `Deleted version ${hidden.version} of ${hidden.name}`,
    );
  }

  /** One more than the highest version there is or was. */
  async #nextFree(name: string, modelDir: string): Promise<number> {
    const existing = [...(await versionFolders(modelDir)).keys()];
    const allocated = await allocatedVersions(this.options.layout.allocatedDir(name));
    return Math.max(0, ...existing, ...allocated) + 1;
  }

  /** Takes a version number for good; false when another upload took it first. */
  #claim(name: string, version: number): Promise<boolean> {
    const record = { server: this.options.staging.id, at: new Date().toISOString() };
    return createFileExclusive(
      join(this.options.layout.allocatedDir(name), String(version)),
      `${JSON.stringify(record)}\n`,
      this.options.staging.dir,
    );
  }

  /**
   * Renames the files into `<model>/<version>`; false when that folder exists. A new
   * model's folder appears whole, with its first version in it, so no server ever sees a
   * model without versions.
   */
  async #moveIntoPlace(upload: PendingUpload, modelDir: string, version: number): Promise<boolean> {
    const target = join(modelDir, String(version));
    if (!(await isDirectory(modelDir))) {
      const model = join(upload.dir, "model");
      await mkdir(model, { recursive: true });
      await rename(upload.filesDir, join(model, String(version)));
      await mkdir(dirname(modelDir), { recursive: true });
      try {
        await rename(model, modelDir);
        return true;
      } catch (error) {
        if (!isTaken(error)) throw error;
      }
      // Another server made the model meanwhile: put the version into its folder.
      return renameUnlessTaken(join(model, String(version)), target);
    }
    return renameUnlessTaken(upload.filesDir, target);
  }
}

async function allocatedVersions(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map(parseVersion).filter((v): v is number => v !== undefined);
}

async function renameUnlessTaken(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (isTaken(error)) return false;
    throw error;
  }
}

/** A rename onto a folder that holds files fails with one of these. */
function isTaken(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOTEMPTY" || code === "EEXIST";
}

const taken = (name: string, version: number) =>
  alreadyExists(`Version ${version} of model ${name} already exists`);

const takenBefore = (name: string, version: number) =>
  alreadyExists(
    `Version ${version} of model ${name} is taken: another upload has it, or had it before a delete. ` +
      "Version numbers are never reused, so that every server tells two uploads apart; choose another",
  );

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}
