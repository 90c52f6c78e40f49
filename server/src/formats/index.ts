import { readdir } from "node:fs/promises";
import { badModel } from "@servable/protocol";
import type { ModelFormat } from "./model-format";
import { onnxFormat } from "./onnx/onnx-format";
import { savedModelFormat } from "./savedmodel/savedmodel-format";
import { tfjsFormat } from "./tfjs/tfjs-format";
import { readFailure } from "./version-files";

/** The formats a version directory may hold, tried in this order. */
export const MODEL_FORMATS: readonly ModelFormat[] = [tfjsFormat, onnxFormat, savedModelFormat];

/** The format a version directory holds, or a permanent error listing what was expected. */
export async function detectFormat(
  dir: string,
  formats: readonly ModelFormat[] = MODEL_FORMATS,
): Promise<ModelFormat> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    throw readFailure(error, dir, "the version directory");
  }
  const format = formats.find((f) => f.detect(files));
  if (format) return format;
  throw badModel(
    `No model found in ${dir}: expected one of ${formats.map((f) => f.marker).join(", ")}`,
  );
}

/** The format with this name (a worker thread is told which one its loader detected). */
export function formatNamed(
  name: string,
  formats: readonly ModelFormat[] = MODEL_FORMATS,
): ModelFormat {
  const format = formats.find((f) => f.name === name);
  if (!format) throw new Error(`Unknown model format ${name}`);
  return format;
}
