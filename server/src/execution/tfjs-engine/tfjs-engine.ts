import { badModel, ServingError } from "@servable/protocol";
import type { TfjsVersion } from "../../formats/loaded-version";
import { onnxRuntime } from "../onnxruntime/onnx-runtime";
import { OnnxSessionRunner } from "../onnxruntime/session-runner";
import { TfjsSignatureRunner } from "../tfjs/signature-runner";
import type { EngineSettings, VersionRunner } from "../version-runner";
import { compileTfjsVersion } from "./compiled-version";
import { engineDisagreement } from "./engine-agreement";

/**
 * The engine of a TF.js version (--tfjs_engine):
 * - "tfjs": the TF.js signature runner, always.
 * - "auto": the layers model is compiled to ONNX (compiled-version.ts); when every layer
 *   compiles, ONNX Runtime is installed and loads the graph, and both engines answer a
 *   sample input alike (engine-agreement.ts), the version runs on ONNX Runtime and its
 *   TF.js copy is freed; otherwise it runs on TF.js, and the runner carries the reason.
 * - "onnxruntime": the same steps, but a version that fails one of them fails its load,
 *   saying why: serving a model on the engine asked for, or not at all.
 */

export async function startTfjsVersion(
  version: TfjsVersion,
  settings: EngineSettings,
): Promise<VersionRunner> {
  const choice = settings.tfjsEngine ?? "tfjs";
  if (choice === "tfjs") return new TfjsSignatureRunner(version);
  const forced = choice === "onnxruntime";
  const onTfjs = (reason: string): VersionRunner => {
    if (forced) {
      throw badModel(`--tfjs_engine=onnxruntime cannot run this model on ONNX Runtime: ${reason}`);
    }
    return new TfjsSignatureRunner(version, reason);
  };
  const compiled = compileTfjsVersion(version);
  if (typeof compiled === "string") return onTfjs(compiled);
  try {
    await onnxRuntime();
  } catch (error) {
    if (forced) throw error;
    return onTfjs("onnxruntime-node is not installed");
  }
  let onnx: OnnxSessionRunner;
  try {
    onnx = await OnnxSessionRunner.start(compiled, settings.onnx);
  } catch (error) {
    return onTfjs(`ONNX Runtime cannot load the compiled graph: ${messageOf(error)}`);
  }
  const tfjs = new TfjsSignatureRunner(version);
  let disagreement: string | undefined;
  try {
    disagreement = await engineDisagreement(tfjs, onnx, version.signatures, {
      reference: "TF.js",
      candidate: "ONNX Runtime",
    });
  } catch (error) {
    disagreement = `the sample input failed: ${messageOf(error)}`;
  }
  if (disagreement) {
    await onnx.close();
    return onTfjs(disagreement);
  }
  await tfjs.close();
  return onnx;
}

const messageOf = (error: unknown): string =>
  error instanceof ServingError || error instanceof Error ? error.message : String(error);
