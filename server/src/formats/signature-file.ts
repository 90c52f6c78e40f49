import {
  badModel,
  ServingError,
  SIGNATURE_FILE,
  type SignatureFile,
  validateSignatureFile,
} from "@servable/protocol";
import { readOptionalVersionFile } from "./version-files";

/**
 * The signature file beside a TF.js or ONNX model, checked where it is read: absent is
 * fine (signatures are derived), unreadable now is transient, and a file that does not
 * parse or has the wrong shape fails the version for good, naming the file and field.
 */
export async function readVersionSignatures(dir: string): Promise<SignatureFile | undefined> {
  const text = await readOptionalVersionFile(dir, SIGNATURE_FILE);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badModel(`${SIGNATURE_FILE} in ${dir} does not parse: ${(error as Error).message}`);
  }
  checkTensorShapes(parsed, dir);
  try {
    return validateSignatureFile(parsed);
  } catch (error) {
    if (error instanceof ServingError) throw badModel(`${error.message} (in ${dir})`);
    throw badModel(`${SIGNATURE_FILE} in ${dir} is malformed: ${(error as Error).message}`);
  }
}

/** tensor_shape is the one field the shared validator fills in rather than checks. */
function checkTensorShapes(parsed: unknown, dir: string): void {
  const defs = isRecord(parsed) && isRecord(parsed.signature_def) ? parsed.signature_def : {};
  for (const [name, def] of Object.entries(defs)) {
    if (!isRecord(def)) continue;
    for (const side of ["inputs", "outputs"] as const) {
      const infos = isRecord(def[side]) ? def[side] : {};
      for (const [key, info] of Object.entries(infos)) {
        const shape = isRecord(info) ? info.tensor_shape : undefined;
        const field = `signature_def.${name}.${side}.${key}.tensor_shape`;
        if (shape === undefined) continue;
        const dims = isRecord(shape) ? shape.dim : undefined;
        const ok =
          isRecord(shape) &&
          (dims === undefined ||
            (Array.isArray(dims) &&
              dims.every(
                (d) => isRecord(d) && ["string", "number", "undefined"].includes(typeof d.size),
              )));
        if (!ok) {
          throw badModel(
            `${SIGNATURE_FILE} in ${dir}: ${field} must be {"dim": [{"size": ...}], "unknown_rank": ...}`,
          );
        }
      }
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
