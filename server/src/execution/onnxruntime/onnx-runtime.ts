import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as ort from "onnxruntime-node";
import { ServingError } from "@servable/protocol";

/** onnxruntime-node's API, as the ONNX format uses it. */
export type OnnxRuntime = typeof ort;

let loading: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, loaded with the first ONNX version. It is an optional dependency: its
 * install step downloads GPU files from outside the npm registry, and npm drops the
 * package when that step fails, so a server may well run without it. Then every ONNX
 * version fails with an error that says how to install it, and nothing else changes; once
 * it is installed, the next ONNX version loads it (no restart needed).
 */
export function onnxRuntime(): Promise<OnnxRuntime> {
  loading ??= import("onnxruntime-node").catch((error: Error) => {
    loading = undefined;
    throw runtimeMissing(error);
  });
  return loading;
}

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
