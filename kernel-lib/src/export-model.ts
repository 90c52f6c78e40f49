import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeSavedModel, writeTfjsModel } from "@servable/convert";
import { isModel, type Model } from "./model";
import type { SignatureDef } from "@servable/protocol";
import { signatureFile, signatures as builders, type Signatures } from "./signatures";
import { checkName, listFiles, nextVersion } from "./version-folder";
import { writeWarmupRequests, type WarmupRequest } from "./warmup-requests";

export interface ExportOptions {
  /** The model's name: the folder under `baseDir`, and its name on the server. */
  readonly name: string;
  /** The version folder (default: one more than the highest already there, 1 for the first). */
  readonly version?: number;
  readonly signatures?: Signatures;
  /** "tfjs" (model.json and weight shards, the default) or "savedmodel". */
  readonly format?: "tfjs" | "savedmodel";
  /**
   * Requests the server replays while it loads the version, before it serves any client
   * (`:predict` bodies: `{instances: [...]}` or `{inputs: {...}}`): written as TF Serving's
   * `assets.extra/tf_serving_warmup_requests`. At most 1000.
   */
  readonly warmup?: readonly WarmupRequest[];
}

/** Where a version was written. */
export interface ExportedModel {
  readonly name: string;
  readonly version: number;
  /** The version folder: `<baseDir>/<name>/<version>`. */
  readonly path: string;
  /** Its files, relative to `path`. */
  readonly files: string[];
  readonly bytes: number;
}

/**
 * Writes a model as version folder `<baseDir>/<name>/<version>/`, the layout the server's
 * Source loads and the JupyterLab sidebar lists: `model.json`, its weight shards and, when
 * signatures are given, `signatures.json`; with `warmup`, TF Serving's warmup file. The
 * folder appears whole or not at all (it is written under a temporary name, then renamed).
 *
 * `model` may also be a model file (`.onnx`, an XGBoost JSON dump) to import.
 */
export async function exportModel(
  model: Model | string,
  baseDir: string,
  options: ExportOptions,
): Promise<ExportedModel> {
  checkName(options.name);
  const modelDir = resolve(baseDir, options.name);
  if (typeof model === "string") {
    if (options.warmup) {
      throw new Error("exportModel writes warmup requests for TF.js models, not for model files");
    }
    return importFile(model, baseDir, options);
  }
  if (!isModel(model)) {
    throw new Error("exportModel takes a TF.js LayersModel or GraphModel, or a model file path");
  }
  await mkdir(modelDir, { recursive: true });
  const staging = join(modelDir, `.export-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(staging);
    const signatures = options.signatures && signatureFile(options.signatures);
    let written: Record<string, SignatureDef>;
    if (options.format === "savedmodel") {
      written = (await writeSavedModel(model, staging, signatures)).signatures;
    } else {
      await writeTfjsModel(model, staging, signatures);
      // Without a signature file the server derives serving_default as this does.
      written = (signatures ?? signatureFile({ serving_default: predictSignature(model) }))
        .signature_def;
    }
    if (options.warmup) {
      await writeWarmupRequests(staging, options.name, options.warmup, written);
    }
    const version = options.version ?? (await nextVersion(modelDir));
    const path = join(modelDir, String(version));
    if (await exists(path)) throw new Error(`${path} exists already: choose another version`);
    await rename(staging, path);
    return { name: options.name, version, path, ...(await listFiles(path)) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A model file (.onnx, XGBoost JSON) imported as a version by the importers in import/. */
async function importFile(
  file: string,
  baseDir: string,
  options: ExportOptions,
): Promise<ExportedModel> {
  const { importModel } = await import("./import/import-model.js");
  const imported = await importModel(file, baseDir, {
    name: options.name,
    ...(options.version !== undefined && { version: options.version }),
  });
  return {
    name: imported.name,
    version: imported.version,
    path: imported.path,
    ...(await listFiles(imported.path)),
  };
}

const predictSignature = (model: Model) => builders.predict(model);

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
