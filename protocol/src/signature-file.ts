import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { badModel } from "./serving-error";
import { isDataType } from "./data-type";
import type { SignatureDef, SignatureDefMap } from "./signature";

/**
 * Servable's signature file, kept beside a TF.js or ONNX model: the `signature_def`
 * map exactly as TF Serving's metadata endpoint prints it, plus the class labels of
 * classify signatures that have no classes output of their own.
 *
 *     { "signature_def": { "serving_default": { "inputs": {...}, "outputs": {...},
 *                                                "method_name": "tensorflow/serving/predict" } },
 *       "class_labels": { "classify": ["setosa", "versicolor", "virginica"] } }
 */
export const SIGNATURE_FILE = "signatures.json";

export interface SignatureFile extends SignatureDefMap {
  class_labels?: Record<string, string[]>;
}

/** The signature file in `dir`, or undefined when there is none. */
export async function readSignatureFile(dir: string): Promise<SignatureFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SIGNATURE_FILE), "utf8");
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badModel(`${SIGNATURE_FILE} is not valid JSON: ${(error as Error).message}`);
  }
  return validateSignatureFile(parsed);
}

export function validateSignatureFile(value: unknown): SignatureFile {
  const fail = (why: string): never => {
    throw badModel(`${SIGNATURE_FILE}: ${why}`);
  };
  if (!isObject(value) || !isObject(value.signature_def)) fail('expected {"signature_def": {...}}');
  const file = value as unknown as SignatureFile;
  for (const [name, def] of Object.entries(file.signature_def)) {
    validateSignatureDef(name, def, fail);
  }
  if (file.class_labels !== undefined) {
    if (!isObject(file.class_labels)) fail("class_labels must map signature names to label lists");
    for (const [name, labels] of Object.entries(file.class_labels)) {
      if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string")) {
        fail(`class_labels.${name} must be a list of strings`);
      }
    }
  }
  return file;
}

function validateSignatureDef(name: string, def: SignatureDef, fail: (why: string) => never): void {
  if (!isObject(def) || !isObject(def.inputs) || !isObject(def.outputs)) {
    fail(`signature ${name} needs "inputs" and "outputs" objects`);
  }
  if (typeof def.method_name !== "string") fail(`signature ${name} needs a "method_name"`);
  for (const [key, info] of [...Object.entries(def.inputs), ...Object.entries(def.outputs)]) {
    if (!isObject(info) || typeof info.name !== "string" || !isDataType(String(info.dtype))) {
      fail(
        `signature ${name}: tensor ${key} needs a "name" and a TensorFlow "dtype" (DT_FLOAT...)`,
      );
    }
    info.tensor_shape ??= { dim: [], unknown_rank: true };
    info.tensor_shape.unknown_rank ??= false;
    info.tensor_shape.dim = (info.tensor_shape.dim ?? []).map((d) => ({
      size: String(d.size ?? 0),
      name: d.name ?? "",
    }));
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
