import { readFile } from "node:fs/promises";
import { join, normalize, sep } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { badModel } from "@servable/protocol";

/**
 * Reads a TF.js model directory (model.json and its weight shards) into the in-memory
 * artifacts TF.js loads from: TF.js has no file system loader without tfjs-node.
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
  } catch (error) {
    throw badModel(`model.json in ${dir} cannot be read: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || !json.modelTopology) {
    throw badModel(`model.json in ${dir} has no modelTopology`);
  }
  const manifest = json.weightsManifest ?? [];
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const shards = await Promise.all(
    manifest.flatMap((group) => group.paths).map((path) => readShard(dir, path)),
  );
  const weightData = concat(shards);
  const expected = weightSpecs.reduce((sum, spec) => sum + weightByteLength(spec), 0);
  if (expected > weightData.byteLength) {
    throw badModel(
      `Weights of ${dir} are truncated: the manifest needs ${expected} bytes, the shards hold ${weightData.byteLength}`,
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

async function readShard(dir: string, path: string): Promise<Uint8Array> {
  const file = normalize(join(dir, path));
  if (!file.startsWith(normalize(dir) + sep))
    throw badModel(`Weight path ${path} leaves the model directory`);
  try {
    return await readFile(file);
  } catch (error) {
    throw badModel(`Weight shard ${path} cannot be read: ${(error as Error).message}`);
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
