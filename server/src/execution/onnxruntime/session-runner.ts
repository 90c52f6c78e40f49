import type { InferenceSession, Tensor } from "onnxruntime-node";
import {
  badModel,
  invalidArgument,
  own,
  type SignatureDefMap,
  type TensorMap,
  signatureNotFound,
} from "@servable/protocol";
import type { RunOptions } from "../../core/servable";
import type { OnnxVersion } from "../../formats/loaded-version";
import type { SignatureBinding } from "../../formats/onnx/onnx-signatures";
import type { VersionRunner } from "../version-runner";
import { toServedOutputs } from "./classify-outputs";
import { onnxRuntime, type OnnxRuntime } from "./onnx-runtime";
import { fromOrtTensor, toOrtTensor } from "./ort-tensors";
import { sessionOptions, type OnnxSettings } from "./session-options";

/**
 * Runs an ONNX model on an onnxruntime session, for any signature bound to its graph.
 * Any batch size runs when the graph's first dimensions are free (the signature says -1
 * there), so the batcher may merge requests along dimension 0; onnxruntime checks every
 * other dimension itself. A model onnxruntime cannot load fails for good with
 * onnxruntime's own message; without onnxruntime-node (an optional dependency, see
 * onnx-runtime.ts) every ONNX version fails saying how to get it.
 */
export class OnnxSessionRunner implements VersionRunner {
  readonly runtime = "onnxruntime";
  readonly signatures: SignatureDefMap;
  readonly classLabels: OnnxVersion["classLabels"];

  private constructor(
    private readonly session: InferenceSession,
    private readonly Tensor: OnnxRuntime["Tensor"],
    private readonly bindings: ReadonlyMap<string, SignatureBinding>,
    version: OnnxVersion,
  ) {
    this.signatures = version.signatures;
    this.classLabels = version.classLabels;
  }

  static async start(version: OnnxVersion, settings?: OnnxSettings): Promise<OnnxSessionRunner> {
    const ort = await onnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(version.model, sessionOptions(settings));
    } catch (error) {
      throw badModel(`ONNX Runtime cannot load the model: ${(error as Error).message}`);
    }
    return new OnnxSessionRunner(session, ort.Tensor, version.bindings, version);
  }

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const binding = this.bindings.get(signatureName);
    if (!binding) {
      throw invalidArgument(signatureNotFound(signatureName));
    }
    const feeds: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
    for (const [key, name] of binding.inputs) {
      const host = own(inputs, key);
      if (!host) throw invalidArgument(`Missing input tensor: ${key}`);
      feeds[name] = toOrtTensor(this.Tensor, host);
    }
    const keys = options?.outputKeys ?? [...binding.outputs.keys()];
    const fetches = keys.map((key) => {
      const output = binding.outputs.get(key);
      if (!output) throw invalidArgument(`Unknown output key: ${key}`);
      return output.fetch;
    });
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, [...new Set(fetches)]);
    } catch (error) {
      throw invalidArgument((error as Error).message);
    }
    const outputs = Object.create(null) as TensorMap;
    keys.forEach((key, i) => {
      outputs[key] = fromOrtTensor(results[fetches[i]!] as Tensor);
    });
    return toServedOutputs(outputs, binding);
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
