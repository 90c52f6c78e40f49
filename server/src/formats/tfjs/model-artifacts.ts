import { join, normalize, sep } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { badModel } from "@servable/protocol";
import {
  isTransientIoError,
  readFailure,
  readVersionFile,
  readRegularFile,
} from "../version-files";
import { parseModelJson } from "./model-json";

/**
 * Reads a TF.js model directory (model.json and its weight shards) into the in-memory
 * artifacts TF.js loads from: TF.js has no file system loader without tfjs-node.
 * model.json is checked first (model-json.ts), then every shard it names must be there
 * and hold the bytes its manifest says.
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const json = parseModelJson(await readVersionFile(dir, "model.json", "utf8"), dir);
  const manifest = json.weightsManifest ?? [];
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const shards = await Promise.all(
    manifest.flatMap((group, g) =>
      group.paths.map((path, i) => readShard(dir, path, `weightsManifest[${g}].paths[${i}]`)),
    ),
  );
  const weightData = concat(shards);
  const expected = weightSpecs.reduce((sum, spec) => sum + weightByteLength(spec), 0);
  if (expected > weightData.byteLength) {
    throw badModel(
      `Weights of ${dir} are truncated: model.json's weightsManifest needs ${expected} bytes, the shards hold ${weightData.byteLength}`,
    );
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    weightSpecs,
    weightData,
  };
}

async function readShard(dir: string, path: string, field: string): Promise<Uint8Array> {
  const file = normalize(join(dir, path));
  if (!file.startsWith(normalize(dir) + sep)) {
    throw badModel(`model.json in ${dir}: ${field} (${path}) leaves the model directory`);
  }
  try {
    return await readRegularFile(file);
  } catch (error) {
    if (isTransientIoError(error)) throw readFailure(error, dir, path);
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "which is missing"
        : `which cannot be read: ${(error as Error).message}`;
    throw badModel(`model.json in ${dir}: ${field} names ${path}, ${why}`);
  }
}

function concat(parts: readonly Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out.buffer;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function weightByteLength(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization) {
    const bytes = spec.quantization.dtype === "uint8" ? 1 : 2;
    return count * bytes;
  }
  // Strings carry their own lengths; count nothing for them here.
  return count * (BYTES_PER_ELEMENT[spec.dtype] ?? 0);
}
