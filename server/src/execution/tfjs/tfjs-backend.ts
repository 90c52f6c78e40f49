import * as tf from "@tensorflow/tfjs";
import type { Logger } from "pino";

/**
 * The TensorFlow.js backend that runs TF.js and SavedModel versions. "auto" takes native
 * TensorFlow when the optional @tensorflow/tfjs-node is installed, else WebAssembly
 * (SIMD), else the pure-JavaScript cpu backend.
 */
export const BACKENDS = ["auto", "wasm", "cpu", "tensorflow"] as const;
export type BackendChoice = (typeof BACKENDS)[number];

const TFJS_NODE = "@tensorflow/tfjs-node";

/** Sets the backend up and returns the name of the one that runs. */
export async function initTfjsBackend(choice: BackendChoice, logger?: Logger): Promise<string> {
  const order: BackendChoice[] =
    choice === "auto"
      ? ["tensorflow", "wasm", "cpu"]
      : choice === "wasm"
        ? ["wasm", "cpu"]
        : [choice];
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (await trySetBackend(name)) {
        logger?.info(
          { backend: name, fallbackReasons: failures },
          `TensorFlow.js backend: ${name}`,
        );
        return name;
      }
      failures.push(`${name}: not available`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could start (${failures.join("; ")})`);
}

async function trySetBackend(name: BackendChoice): Promise<boolean> {
  if (name === "tensorflow") {
    if (!(await optionalImport(TFJS_NODE))) return false;
  } else if (name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
  }
  if (tf.getBackend() === name) return true;
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok;
}

async function optionalImport(specifier: string): Promise<boolean> {
  try {
    require.resolve(specifier);
  } catch {
    return false;
  }
  await import(specifier);
  return true;
}

/** The runtime label reported for metrics and listings ("tfjs-wasm"). */
export const tfjsRuntimeName = (): string => `tfjs-${tf.getBackend()}`;
