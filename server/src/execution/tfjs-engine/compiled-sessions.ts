import {
  invalidArgument,
  signatureNotFound,
  type SignatureDefMap,
  type TensorMap,
} from "@servable/protocol";
import type { RunOptions } from "../../core/servable";
import type { TfjsVersion } from "../../formats/loaded-version";
import type { VersionRunner } from "../version-runner";

/**
 * A TF.js version compiled to several ONNX graphs (one per set of fed tensors, see
 * compiled-version.ts), served as one version: each signature runs on the session of the
 * graph compiled for it.
 */
export class CompiledSessions implements VersionRunner {
  readonly runtime = "onnxruntime";
  readonly signatures: SignatureDefMap;
  readonly classLabels: TfjsVersion["classLabels"];

  constructor(
    private readonly bySignature: ReadonlyMap<string, VersionRunner>,
    version: TfjsVersion,
  ) {
    this.signatures = version.signatures;
    this.classLabels = version.classLabels;
  }

  run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const runner = this.bySignature.get(signatureName);
    if (!runner) return Promise.reject(invalidArgument(signatureNotFound(signatureName)));
    return runner.run(signatureName, inputs, options);
  }

  async close(): Promise<void> {
    await Promise.all([...new Set(this.bySignature.values())].map((r) => r.close()));
  }
}
