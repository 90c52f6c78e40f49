import type { LoadedVersion } from "../formats/loaded-version";
import { OnnxSessionRunner } from "./onnxruntime/session-runner";
import { TfjsSignatureRunner } from "./tfjs/signature-runner";
import type { EngineSettings, VersionRunner } from "./version-runner";

/**
 * The engine that runs a loaded version, chosen here and only here: TF.js graphs on the
 * TF.js signature runner, ONNX models on an ONNX Runtime session.
 */
export async function startRunner(
  version: LoadedVersion,
  settings: EngineSettings = {},
): Promise<VersionRunner> {
  switch (version.engine) {
    case "tfjs":
      return new TfjsSignatureRunner(version);
    case "onnxruntime":
      return OnnxSessionRunner.start(version, settings.onnx);
  }
}
