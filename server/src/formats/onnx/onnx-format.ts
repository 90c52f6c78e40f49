import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ServingError } from "@servable/protocol";
import type { LoadContext, LoadedModel, ModelFormat } from "../model-format";
import type { loadOnnxVersion } from "./load-onnx-version";

export const ONNX_MODEL_FILE = "model.onnx";

/**
 * ONNX models (`model.onnx`: PyTorch, PaddlePaddle, scikit-learn, XGBoost... exports) on
 * onnxruntime (load-onnx-version.ts).
 *
 * onnxruntime-node is an optional dependency, loaded with the first ONNX version: its
 * install step downloads GPU files from outside the npm registry and npm drops the package
 * when that step fails, so a server may well run without it. Then every ONNX version ends
 * with an error that says how to install it, and nothing else changes.
 */
export const onnxFormat: ModelFormat = {
  name: "onnx",
  detect: (files) => files.includes(ONNX_MODEL_FILE),
  async load(dir: string, context: LoadContext): Promise<LoadedModel> {
    let load: typeof loadOnnxVersion;
    try {
      ({ loadOnnxVersion: load } = await import("./load-onnx-version.js"));
    } catch (error) {
      throw runtimeMissing(error as Error);
    }
    return load(dir, join(dir, ONNX_MODEL_FILE), context);
  },
};

function runtimeMissing(cause: Error): ServingError {
  const spec = `onnxruntime-node${onnxRuntimeRange()}`;
  return new ServingError(
    "FAILED_PRECONDITION",
    `ONNX models need onnxruntime-node, which cannot be loaded (${cause.message.split("\n")[0]}). ` +
      `Install it beside the server: npm install ${spec} --onnxruntime-node-install=skip ` +
      "(the CPU runtime ships in the npm package; without =skip its install step also downloads " +
      "the GPU files from outside the npm registry, =cuda12 asks for them)",
    false,
  );
}

/** "@<range>" of the onnxruntime-node this server is built for, from its package.json. */
function onnxRuntimeRange(): string {
  try {
    const manifest = JSON.parse(
      readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8"),
    ) as { optionalDependencies?: Record<string, string> };
    const range = manifest.optionalDependencies?.["onnxruntime-node"];
    return range ? `@${range}` : "";
  } catch {
    return "";
  }
}
