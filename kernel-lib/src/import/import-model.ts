import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import {
  isXgbModelJson,
  parseXgbJson,
  readXgbModel,
  signaturesOfModelFile,
  xgboostToOnnx,
} from "@servable/convert";
import {
  modelNameProblem,
  versionFolders,
  versionFromJson,
  type SignatureFile,
} from "@servable/protocol";
import { nextVersion } from "../version-folder";

/**
 * Brings an existing model file into a model repository as a new version directory that
 * the server serves as it is:
 *
 * - an ONNX file (`.onnx`): copied as `model.onnx`, with its derived signatures;
 * - an XGBoost model saved as JSON (`Booster.save_model("model.json")`): converted to
 *   ONNX (@servable/convert's xgboostToOnnx), with predict and classify or regress
 *   signatures.
 *
 * The version is written to a hidden folder beside the versions and renamed into place,
 * so the server never sees it half-written.
 */
export interface ImportOptions {
  /** The model's name: its folder in the repository. */
  name: string;
  /** The version number; one more than the highest present when absent. */
  version?: number;
}

export interface ImportedModel {
  readonly name: string;
  readonly version: number;
  /** The version directory written. */
  readonly path: string;
  /** What the file was: "onnx" or "xgboost". */
  readonly source: "onnx" | "xgboost";
  readonly signatures: SignatureFile;
}

export class ImportError extends Error {
  override readonly name = "ImportError";
}

export async function importModel(
  file: string,
  repositoryDir: string,
  options: ImportOptions,
): Promise<ImportedModel> {
  const badName = modelNameProblem(options.name);
  if (badName) throw new ImportError(badName);
  const { source, onnx, signatures } = await versionFiles(file);
  const modelDir = resolve(repositoryDir, options.name);
  await mkdir(modelDir, { recursive: true });
  const version = options.version ?? (await nextVersion(modelDir));
  if (versionFromJson(version) === undefined) {
    throw new ImportError(`Version must be a non-negative integer, got ${version}`);
  }
  const target = join(modelDir, String(version));
  if ((await versionFolders(modelDir)).has(version)) {
    throw new ImportError(`${options.name} already has a version ${version} (${target})`);
  }
  const pending = join(modelDir, `.import-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(pending);
    await writeFile(join(pending, "model.onnx"), onnx);
    await writeFile(join(pending, "signatures.json"), JSON.stringify(signatures, null, 2) + "\n");
    await rename(pending, target);
  } catch (error) {
    await rm(pending, { recursive: true, force: true });
    throw error;
  }
  return { name: options.name, version, path: target, source, signatures };
}

interface VersionFiles {
  source: ImportedModel["source"];
  onnx: Uint8Array;
  signatures: SignatureFile;
}

/** The model.onnx and signatures.json of the version directory a model file becomes. */
async function versionFiles(file: string): Promise<VersionFiles> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new ImportError(`Cannot read ${file}: ${error.message}`);
  });
  const extension = extname(file).toLowerCase();
  if (extension === ".onnx") {
    return {
      source: "onnx",
      onnx: bytes,
      signatures: withErrors(() => signaturesOfModelFile(bytes)),
    };
  }
  if (extension === ".json") {
    let doc: unknown;
    try {
      doc = parseXgbJson(bytes.toString("utf8"));
    } catch (error) {
      throw new ImportError(`${basename(file)} is not JSON: ${(error as Error).message}`);
    }
    if (!isXgbModelJson(doc)) {
      throw new ImportError(
        `${basename(file)} is not an XGBoost model saved as JSON (Booster.save_model("model.json"))`,
      );
    }
    const converted = withErrors(() => xgboostToOnnx(readXgbModel(doc)));
    return { source: "xgboost", onnx: converted.onnx, signatures: converted.signatures };
  }
  if ([".ubj", ".model", ".bst", ".bin", ".deprecated"].includes(extension)) {
    throw new ImportError(
      `${basename(file)}: XGBoost's binary formats are not read; save the model as JSON (Booster.save_model("model.json"))`,
    );
  }
  throw new ImportError(
    `${basename(file)}: not a model Servable imports (expected an .onnx file or an XGBoost .json model)`,
  );
}

function withErrors<T>(convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    throw new ImportError((error as Error).message);
  }
}
