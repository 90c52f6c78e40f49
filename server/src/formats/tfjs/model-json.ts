import type * as tf from "@tensorflow/tfjs";
import { badModel } from "@servable/protocol";

/**
 * A TF.js model.json checked field by field before TF.js sees it: a file written by hand
 * or by another tool may hold anything, and TF.js's own errors on such input are
 * TypeErrors that name neither the file nor the field. Every refusal names both.
 */
const DTYPES = new Set(["float32", "int32", "bool", "string", "complex64"]);
const QUANTIZED_DTYPES = new Set(["uint8", "uint16", "float16"]);

export function parseModelJson(text: string, dir: string): tf.io.ModelJSON {
  const fail = (why: string): never => {
    throw badModel(`model.json in ${dir}: ${why}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`does not parse: ${(error as Error).message}`);
  }
  if (!isRecord(json)) return fail(`must be a JSON object, not ${describe(json)}`);
  if (!isRecord(json.modelTopology)) {
    fail(`"modelTopology" must be an object, not ${describe(json.modelTopology)}`);
  }
  if (json.format !== undefined && typeof json.format !== "string") {
    fail(`"format" must be a string, not ${describe(json.format)}`);
  }
  const topology = json.modelTopology as Record<string, unknown>;
  const isGraph =
    json.format === "graph-model" || (json.format === undefined && "node" in topology);
  if (isGraph) checkGraphTopology(topology, fail);
  const manifest = json.weightsManifest;
  if (manifest !== undefined) {
    if (!Array.isArray(manifest)) {
      fail(`"weightsManifest" must be a list of weight groups, not ${describe(manifest)}`);
    }
    (manifest as unknown[]).forEach((group, g) => checkGroup(group, `weightsManifest[${g}]`, fail));
  }
  return json as unknown as tf.io.ModelJSON;
}

/** What TF.js's GraphModel reads of a graph before it runs anything. */
function checkGraphTopology(topology: Record<string, unknown>, fail: (why: string) => never): void {
  if (!Array.isArray(topology.node)) {
    fail(`"modelTopology.node" must be a list of graph nodes, not ${describe(topology.node)}`);
  }
  (topology.node as unknown[]).forEach((node, i) => {
    if (!isRecord(node) || typeof node.name !== "string" || typeof node.op !== "string") {
      fail(`modelTopology.node[${i}] must be {"name", "op", ...}, not ${describe(node)}`);
    }
  });
  if (!isRecord(topology.versions)) {
    fail(`"modelTopology.versions" must be an object, not ${describe(topology.versions)}`);
  }
}

function checkGroup(group: unknown, field: string, fail: (why: string) => never): void {
  if (!isRecord(group))
    fail(`${field} must be {"paths": [...], "weights": [...]}, not ${describe(group)}`);
  const { paths, weights } = group as Record<string, unknown>;
  if (!Array.isArray(paths))
    fail(`${field}.paths must be a list of file names, not ${describe(paths)}`);
  (paths as unknown[]).forEach((path, i) => {
    if (typeof path !== "string" || path === "") {
      fail(`${field}.paths[${i}] must be a file name, not ${describe(path)}`);
    }
  });
  if (!Array.isArray(weights)) fail(`${field}.weights must be a list, not ${describe(weights)}`);
  (weights as unknown[]).forEach((entry, i) => checkEntry(entry, `${field}.weights[${i}]`, fail));
}

function checkEntry(entry: unknown, field: string, fail: (why: string) => never): void {
  if (!isRecord(entry)) fail(`${field} must be {"name", "shape", "dtype"}, not ${describe(entry)}`);
  const { name, shape, dtype, quantization } = entry as Record<string, unknown>;
  if (typeof name !== "string") fail(`${field}.name must be a string, not ${describe(name)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(`${field}.shape must be a list of sizes (integers >= 0), not ${describe(shape)}`);
  }
  if (typeof dtype !== "string" || !DTYPES.has(dtype)) {
    fail(`${field}.dtype must be one of ${[...DTYPES].join(", ")}, not ${describe(dtype)}`);
  }
  if (quantization !== undefined) {
    const q = isRecord(quantization) ? quantization.dtype : undefined;
    if (typeof q !== "string" || !QUANTIZED_DTYPES.has(q)) {
      fail(`${field}.quantization.dtype must be one of uint8, uint16, float16`);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
