import type { Contents } from "@jupyterlab/services";
import { isModelName, parseVersion } from "@servable/protocol/names";
import type { VersionFile } from "./server-api";
import type { ExportedVersion } from "./tokens";

/**
 * Exported model versions in the Jupyter workspace, read through the Contents API:
 * `<folder>/<name>/<version>/` with an integer version and a model file inside, as the
 * kernel library's `exportModel` writes them.
 */
export interface ExportedModels {
  /** @throws {MissingFolderError} when the folder does not exist */
  list(folder: string): Promise<ExportedVersion[]>;
  /** Every file of a version folder (subfolders included), paths relative to it. */
  files(version: ExportedVersion): Promise<VersionFile[]>;
}

export class MissingFolderError extends Error {
  constructor(readonly folder: string) {
    super(`The workspace has no folder ${folder}/ yet.`);
    this.name = "MissingFolderError";
  }
}

/** A version folder holds one of these (TF.js, SavedModel, ONNX), else it is not complete. */
const MODEL_FILES = new Set(["model.json", "saved_model.pb", "model.onnx"]);

export class ContentsExportedModels implements ExportedModels {
  constructor(private readonly contents: Contents.IManager) {}

  async list(folder: string): Promise<ExportedVersion[]> {
    const root = trimSlashes(folder);
    const top = await this.#directory(root);
    if (!top) throw new MissingFolderError(root);
    const found: ExportedVersion[] = [];
    for (const model of top.filter((i) => i.type === "directory" && isModelName(i.name))) {
      const versions = (await this.#directory(model.path)) ?? [];
      for (const version of versions.filter(
        (i) => i.type === "directory" && parseVersion(i.name) !== undefined,
      )) {
        const files = (await this.#directory(version.path)) ?? [];
        if (!files.some((f) => f.type !== "directory" && MODEL_FILES.has(f.name))) continue;
        const sizes = files.map((f) => f.size).filter((s): s is number => typeof s === "number");
        found.push({
          name: model.name,
          version: String(parseVersion(version.name)),
          path: version.path,
          ...(sizes.length ? { sizeBytes: sizes.reduce((a, b) => a + b, 0) } : {}),
          fingerprint: files
            .map((f) => `${f.name}:${f.type}:${f.size ?? ""}:${f.last_modified}`)
            .sort()
            .join("/"),
        });
      }
    }
    return found.sort(
      (a, b) => a.name.localeCompare(b.name) || Number(b.version) - Number(a.version),
    );
  }

  async files(version: ExportedVersion): Promise<VersionFile[]> {
    const files: VersionFile[] = [];
    const walk = async (path: string, prefix: string): Promise<void> => {
      for (const item of (await this.#directory(path)) ?? []) {
        const relative = prefix ? `${prefix}/${item.name}` : item.name;
        if (item.type === "directory") {
          await walk(item.path, relative);
        } else {
          const file = await this.contents.get(item.path, {
            type: "file",
            format: "base64",
            content: true,
          });
          files.push({ path: relative, data: base64Blob(String(file.content)) });
        }
      }
    };
    await walk(version.path, "");
    return files;
  }

  /** The folder's items, or undefined when it does not exist. */
  async #directory(path: string): Promise<Contents.IModel[] | undefined> {
    try {
      const model = await this.contents.get(path, { type: "directory", content: true });
      return Array.isArray(model.content) ? (model.content as Contents.IModel[]) : [];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  const status = (error as { response?: { status?: unknown } } | null)?.response?.status;
  return status === 404 || status === 400;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}

function base64Blob(text: string): Blob {
  const binary = atob(text.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes]);
}
