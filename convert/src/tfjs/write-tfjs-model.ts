import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { io } from "@tensorflow/tfjs";
import { SIGNATURE_FILE, type SignatureFile } from "@servable/protocol";
import type { TfjsModel } from "./tfjs-model";

/** TF.js's own shard size: weights are split into files of at most 4 MiB. */
const SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Writes a TF.js model (layers or graph) into `dir` as TF.js's converter lays it out:
 * `model.json`, weight shards of at most 4 MiB (`group1-shard1of2.bin`...), and Servable's
 * signature file when signatures are given. The folder is created when missing.
 */
export async function writeTfjsModel(
  model: TfjsModel,
  dir: string,
  signatures?: SignatureFile,
): Promise<void> {
  let artifacts: io.ModelArtifacts | undefined;
  await model.save({
    save: async (given: io.ModelArtifacts) => {
      artifacts = given;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    },
  });
  if (!artifacts?.modelTopology) throw new Error("The model saved no topology");
  await mkdir(dir, { recursive: true });
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
    await writeFile(join(dir, SIGNATURE_FILE), `${JSON.stringify(signatures, null, 1)}\n`);
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
