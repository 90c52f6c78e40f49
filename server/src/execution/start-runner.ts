import type { LoadedVersion } from "../formats/loaded-version";
import { OnnxSessionRunner } from "./onnxruntime/session-runner";
import { startTfjsVersion } from "./tfjs-engine/tfjs-engine";
import type { EngineSettings, VersionRunner } from "./version-runner";

/**
 * The engine that runs a loaded version, chosen here and only here: ONNX models on an
 * ONNX Runtime session; TF.js models on the TF.js signature runner, or compiled to ONNX
 * and run on ONNX Runtime when --tfjs_engine lets them (tfjs-engine.ts).
 */
export async function startRunner(
  version: LoadedVersion,
  settings: EngineSettings = {},
): Promise<VersionRunner> {
  switch (version.engine) {
    case "tfjs":
      return startTfjsVersion(version, settings);
    case "onnxruntime":
      return OnnxSessionRunner.start(version, settings.onnx);
  }
}
