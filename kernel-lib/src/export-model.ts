import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { io } from "@tensorflow/tfjs";
import { SIGNATURE_FILE } from "@servable/protocol";
import { isModel, type Model } from "./model";
import { signatureFile, type Signatures } from "./signatures";
import { checkName, listFiles, versionNumbers } from "./version-folder";

/** TF.js's own shard size: weights are split into files of at most 4 MiB. */
const SHARD_BYTES = 4 * 1024 * 1024;

export interface ExportOptions {
  /** The model's name: the folder under `baseDir`, and its name on the server. */
  readonly name: string;
  /** The version folder (default: one more than the highest already there, 1 for the first). */
  readonly version?: number;
  readonly signatures?: Signatures;
  /** "tfjs" (model.json and weight shards, the default) or "savedmodel". */
  readonly format?: "tfjs" | "savedmodel";
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
 * signatures are given, `signatures.json`. The folder appears whole or not at all (it is
 * written under a temporary name, then renamed).
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
  if (typeof model === "string") return importFile(model, baseDir, options);
  if (!isModel(model)) {
    throw new Error("exportModel takes a TF.js LayersModel or GraphModel, or a model file path");
  }
  await mkdir(modelDir, { recursive: true });
  const staging = join(modelDir, `.export-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(staging);
    if (options.format === "savedmodel") {
      // Loaded on first use: a notebook that never asks for a SavedModel never loads the writer.
      const { writeSavedModel } = await import("./savedmodel/write-saved-model.js");
      await writeSavedModel(
        model,
        staging,
        options.signatures && signatureFile(options.signatures),
      );
    } else {
      await writeTfjsModel(model, staging, options.signatures);
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

/** model.json, weight shards of at most 4 MiB, and the signature file when there is one. */
export async function writeTfjsModel(
  model: Model,
  dir: string,
  signatures: Signatures | undefined,
): Promise<void> {
  let artifacts: io.ModelArtifacts | undefined;
  await model.save({
    save: async (given: io.ModelArtifacts) => {
      artifacts = given;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    },
  });
  if (!artifacts?.modelTopology) throw new Error("The model saved no topology");
  const weights = weightBytes(artifacts.weightData);
  const total = weights.reduce((n, w) => n + w.byteLength, 0);
  const count = Math.ceil(total / SHARD_BYTES);
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  for (const [i, path] of paths.entries()) {
    const start = i * SHARD_BYTES;
    await writeFile(join(dir, path), shard(weights, start, Math.min(total, start + SHARD_BYTES)));
  }
  const modelJson: io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    ...(artifacts.format !== undefined && { format: artifacts.format }),
    generatedBy: artifacts.generatedBy ?? "servable",
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig !== undefined && { trainingConfig: artifacts.trainingConfig }),
    ...(artifacts.signature !== undefined && { signature: artifacts.signature }),
    ...(artifacts.userDefinedMetadata !== undefined && {
      userDefinedMetadata: artifacts.userDefinedMetadata,
    }),
    ...(artifacts.modelInitializer !== undefined && {
      modelInitializer: artifacts.modelInitializer,
    }),
  };
  await writeFile(join(dir, "model.json"), JSON.stringify(modelJson));
  if (signatures) {
    await writeFile(
      join(dir, SIGNATURE_FILE),
      `${JSON.stringify(signatureFile(signatures), null, 1)}\n`,
    );
  }
}

function weightBytes(data: io.WeightData | undefined): Uint8Array[] {
  if (data === undefined) return [];
  return (Array.isArray(data) ? data : [data]).map((buffer) => new Uint8Array(buffer));
}

/** The bytes in [start, end) of the weights, which may come as several buffers. */
function shard(buffers: readonly Uint8Array[], start: number, end: number): Buffer {
  const parts: Uint8Array[] = [];
  let position = 0;
  for (const buffer of buffers) {
    const from = Math.max(start, position);
    const to = Math.min(end, position + buffer.byteLength);
    if (from < to) parts.push(buffer.subarray(from - position, to - position));
    position += buffer.byteLength;
  }
  return Buffer.concat(parts);
}

async function nextVersion(modelDir: string): Promise<number> {
  return Math.max(0, ...(await versionNumbers(modelDir)).keys()) + 1;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
