import type { InferenceSession, Tensor } from "onnxruntime-node";
import {
  invalidArgument,
  type SignatureDefMap,
  type TensorMap,
  signatureNotFound,
} from "@servable/protocol";
import type { RunOptions, Servable } from "../../core/servable";
import { toServedOutputs } from "./classify-outputs";
import type { OnnxRuntime } from "./onnx-runtime";
import type { BoundSignatures, SignatureBinding } from "./onnx-signatures";
import { fromOrtTensor, toOrtTensor } from "./ort-tensors";

/**
 * One ONNX model version on an onnxruntime session. Any batch size runs when the graph's
 * first dimensions are free (the signature says -1 there), so the batcher may merge
 * requests along dimension 0; onnxruntime checks every other dimension itself.
 */
export class OnnxServable implements Servable {
  readonly runtime = "onnxruntime";
  readonly signatures: SignatureDefMap;
  readonly classLabels: Record<string, string[]>;
  readonly #bindings: ReadonlyMap<string, SignatureBinding>;

  constructor(
    private readonly session: InferenceSession,
    bound: BoundSignatures,
    private readonly tensor: OnnxRuntime["Tensor"],
  ) {
    this.signatures = bound.signatures;
    this.classLabels = bound.classLabels;
    this.#bindings = bound.bindings;
  }

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const binding = this.#bindings.get(signatureName);
    if (!binding) {
      throw invalidArgument(signatureNotFound(signatureName));
    }
    const feeds: Record<string, Tensor> = {};
    for (const [key, name] of binding.inputs) {
      const host = inputs[key];
      if (!host) throw invalidArgument(`Missing input tensor: ${key}`);
      feeds[name] = toOrtTensor(this.tensor, host);
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
    const outputs: TensorMap = {};
    keys.forEach((key, i) => {
      outputs[key] = fromOrtTensor(results[fetches[i]!] as Tensor);
    });
    return toServedOutputs(outputs, binding);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
