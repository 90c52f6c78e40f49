import * as tf from "@tensorflow/tfjs";
import {
  invalidArgument,
  ServingError,
  type SignatureDefMap,
  type TensorMap,
  signatureNotFound,
} from "@servable/protocol";
import { fromTfTensor, toTfTensor } from "../../../execution/tfjs/tfjs-tensors";
import { tfjsRuntimeName } from "../../../execution/tfjs/tfjs-backend";
import type { RunOptions, Servable } from "../../../core/servable";
import type { Subgraph } from "../graph/prune";

/**
 * A SavedModel version served by Servable's own reader: one TF.js GraphModel holding the
 * frozen MetaGraph, run for any of its signatures by feeding and fetching the tensors the
 * SignatureDef names. Like a TensorFlow session, it refuses a feed whose dtype differs
 * from the graph's, whatever the SignatureDef records.
 */
export class SavedModelServable implements Servable {
  readonly runtime = tfjsRuntimeName();
  readonly parsesExamples = true;
  /** Graphs with control flow need executeAsync; learnt on first use. */
  #needsAsync = false;

  constructor(
    private readonly model: tf.GraphModel,
    readonly signatures: SignatureDefMap,
    private readonly subgraphs: ReadonlyMap<string, Subgraph | string>,
    private readonly feedTypes: ReadonlyMap<string, string>,
  ) {}

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const signature = this.signatures.signature_def[signatureName];
    const subgraph = this.subgraphs.get(signatureName);
    if (!signature || subgraph === undefined) {
      throw invalidArgument(signatureNotFound(signatureName));
    }
    if (typeof subgraph === "string") throw invalidArgument(subgraph);
    const outputKeys = options?.outputKeys ?? Object.keys(signature.outputs);
    const feeds: tf.NamedTensorMap = {};
    let results: tf.Tensor[] = [];
    try {
      Object.entries(signature.inputs).forEach(([key, info], index) => {
        const host = inputs[key];
        if (!host) throw invalidArgument(`Missing input tensor: ${key}`);
        const expected = this.feedTypes.get(info.name);
        if (expected && expected !== host.dtype) {
          throw invalidArgument(
            `Expects arg[${index}] to be ${typeName(expected)} but ${typeName(host.dtype)} is provided`,
          );
        }
        feeds[info.name] = toTfTensor(host);
      });
      const fetches = outputKeys.map((key) => {
        const info = signature.outputs[key];
        if (!info) throw invalidArgument(`Unknown output key: ${key}`);
        return info;
      });
      results = await this.#execute(
        feeds,
        fetches.map((info) => info.name),
      );
      const out: TensorMap = {};
      for (let i = 0; i < outputKeys.length; i++) {
        out[outputKeys[i]!] = await fromTfTensor(results[i]!, fetches[i]!.dtype);
      }
      return out;
    } catch (error) {
      if (error instanceof ServingError) throw error;
      throw invalidArgument((error as Error).message);
    } finally {
      tf.dispose(Object.values(feeds));
      tf.dispose(results);
    }
  }

  async #execute(feeds: tf.NamedTensorMap, fetches: string[]): Promise<tf.Tensor[]> {
    if (!this.#needsAsync) {
      try {
        const result = this.model.execute(feeds, fetches);
        return Array.isArray(result) ? result : [result];
      } catch (error) {
        if (!/executeAsync/.test((error as Error).message)) throw error;
        this.#needsAsync = true;
      }
    }
    const result = await this.model.executeAsync(feeds, fetches);
    return Array.isArray(result) ? result : [result];
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** TensorFlow's short dtype names ("float", "string"), as its errors print them. */
const typeName = (dtype: string): string => dtype.replace(/^DT_/, "").toLowerCase();
