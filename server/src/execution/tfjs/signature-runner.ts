import * as tf from "@tensorflow/tfjs";
import {
  invalidArgument,
  own,
  ServingError,
  signatureNotFound,
  type SignatureDefMap,
  type TensorMap,
} from "@servable/protocol";
import type { RunOptions } from "../../core/servable";
import type { TensorBindings, TfjsModel, TfjsVersion } from "../../formats/loaded-version";
import type { VersionRunner } from "../version-runner";
import { tfjsRuntimeName } from "./tfjs-backend";
import { fromTfTensor, toTfTensor } from "./tfjs-tensors";

/**
 * Runs any signature of a model TensorFlow.js holds — a layers model, a graph model, a
 * SavedModel read into a graph or loaded on native TensorFlow — the one way: feed the
 * tensors the signature's input keys are bound to, fetch those its output keys are
 * bound to, convert each to the signature's dtype, dispose everything it made. Like a
 * TensorFlow session, it refuses a feed whose dtype differs from the graph's own where
 * the format says the graph is strict.
 */
export class TfjsSignatureRunner implements VersionRunner {
  readonly runtime = tfjsRuntimeName();
  readonly signatures: SignatureDefMap;
  readonly classLabels: TfjsVersion["classLabels"];
  readonly parsesExamples: boolean | undefined;
  /** Graphs with control flow or dynamic shapes need executeAsync; learnt on first use. */
  #needsAsync = false;

  constructor(
    private readonly version: TfjsVersion,
    /** Why the version runs here rather than on ONNX Runtime (see tfjs-engine.ts). */
    readonly engineReason?: string,
  ) {
    this.signatures = version.signatures;
    this.classLabels = version.classLabels;
    this.parsesExamples = version.parsesExamples;
  }

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const binding = this.version.bindings.get(signatureName);
    if (binding === undefined) throw invalidArgument(signatureNotFound(signatureName));
    if (typeof binding === "string") throw invalidArgument(binding);
    const outputKeys = options?.outputKeys ?? [...binding.outputs.keys()];
    const feeds = Object.create(null) as tf.NamedTensorMap;
    let results: tf.Tensor[] = [];
    try {
      let index = 0;
      for (const [key, input] of binding.inputs) {
        const host = own(inputs, key);
        if (!host) throw invalidArgument(`Missing input tensor: ${key}`);
        if (input.feedDtype && input.feedDtype !== host.dtype) {
          throw invalidArgument(
            `Expects arg[${index}] to be ${typeName(input.feedDtype)} but ${typeName(host.dtype)} is provided`,
          );
        }
        feeds[input.name] = toTfTensor(host);
        index++;
      }
      const fetches = outputKeys.map((key) => {
        const output = binding.outputs.get(key);
        if (!output) throw invalidArgument(`Unknown output key: ${key}`);
        return output;
      });
      results = await this.#execute(
        signatureName,
        binding,
        feeds,
        fetches.map((f) => f.name),
      );
      const out = Object.create(null) as TensorMap;
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

  async close(): Promise<void> {
    this.version.dispose();
  }

  async #execute(
    signatureName: string,
    binding: TensorBindings,
    feeds: tf.NamedTensorMap,
    fetches: string[],
  ): Promise<tf.Tensor[]> {
    const model: TfjsModel = this.version.model;
    switch (model.kind) {
      case "layers":
        return asList(model.model.execute(feeds, fetches));
      case "graph":
        if (!this.#needsAsync) {
          try {
            return asList(model.model.execute(feeds, fetches));
          } catch (error) {
            if (!/executeAsync/.test((error as Error).message)) throw error;
            this.#needsAsync = true;
          }
        }
        return asList(await model.model.executeAsync(feeds, fetches));
      case "native":
        return executeNative(model.bySignature.get(signatureName)!, binding, feeds, fetches);
    }
  }
}

/** tfjs-node's predict answers with one tensor, a list in output order, or a map by key. */
function executeNative(
  signature: { predict(inputs: tf.NamedTensorMap): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap },
  binding: TensorBindings,
  feeds: tf.NamedTensorMap,
  fetches: readonly string[],
): tf.Tensor[] {
  const result = signature.predict(feeds);
  const keys = [...binding.outputs.keys()];
  const byKey = new Map<string, tf.Tensor>(
    result instanceof tf.Tensor
      ? [[keys[0]!, result]]
      : Array.isArray(result)
        ? keys.map((k, i) => [k, result[i]!])
        : Object.entries(result),
  );
  const fetched = fetches.map((name) => byKey.get(name)!);
  tf.dispose([...byKey.values()].filter((t) => !fetched.includes(t)));
  return fetched;
}

const asList = (result: tf.Tensor | tf.Tensor[]): tf.Tensor[] =>
  Array.isArray(result) ? result : [result];

/** TensorFlow's short dtype names ("float", "string"), as its errors print them. */
const typeName = (dtype: string): string => dtype.replace(/^DT_/, "").toLowerCase();
