import * as tf from "@tensorflow/tfjs";
import {
  badModel,
  invalidArgument,
  type SignatureDef,
  type SignatureDefMap,
  type TensorMap,
  readSignatureFile,
  signatureNotFound,
} from "@servable/protocol";
import { fromTfTensor, toTfTensor } from "../../execution/tfjs/tfjs-tensors";
import { tfjsRuntimeName } from "../../execution/tfjs/tfjs-backend";
import type { RunOptions, Servable } from "../../core/servable";
import type { LoadedModel, ModelFormat } from "../model-format";
import { deriveSignatures, describeLayersTensor } from "./derive-signatures";
import { resolveLayerNames } from "./layer-names";
import { readModelArtifacts } from "./model-artifacts";

/**
 * TensorFlow.js models: a layers model or a graph model (model.json and weight shards),
 * with Servable's signature file beside it, or a derived `serving_default`.
 */
export const tfjsFormat: ModelFormat = {
  name: "tfjs",
  detect: (files) => files.includes("model.json"),
  async load(dir): Promise<LoadedModel> {
    const artifacts = await readModelArtifacts(dir);
    const model = await loadModel(artifacts, dir);
    try {
      const file = await readSignatureFile(dir);
      const signatures = file ? resolveLayerNames(file, model) : deriveFromModel(model);
      checkSignatureTensors(signatures, model);
      const servable = new TfjsServable(model, signatures, file?.class_labels);
      return {
        servable,
        unload: async () => {
          model.dispose();
        },
      };
    } catch (error) {
      model.dispose();
      throw error;
    }
  },
};

type TfjsModel = tf.LayersModel | tf.GraphModel;

async function loadModel(artifacts: tf.io.ModelArtifacts, dir: string): Promise<TfjsModel> {
  const isGraph =
    artifacts.format === "graph-model" ||
    (artifacts.format === undefined && "node" in (artifacts.modelTopology as object));
  try {
    const handler = tf.io.fromMemory(artifacts);
    return isGraph ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  } catch (error) {
    throw badModel(`TF.js cannot load the model in ${dir}: ${(error as Error).message}`);
  }
}

function deriveFromModel(model: TfjsModel): SignatureDefMap {
  if (model instanceof tf.GraphModel) {
    const describe = (t: tf.ModelTensorInfo) => ({
      key: t.name.replace(/:\d+$/, ""),
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
    });
    return deriveSignatures(model.inputs.map(describe), model.outputs.map(describe));
  }
  return deriveSignatures(
    model.inputs.map((t, i) => describeLayersTensor(t, model.inputNames[i] ?? t.sourceLayer.name)),
    model.outputs.map((t, i) =>
      describeLayersTensor(t, model.outputNames[i] ?? t.sourceLayer.name),
    ),
  );
}

/** Every tensor a signature names must exist in the model, or the version fails to load. */
function checkSignatureTensors(signatures: SignatureDefMap, model: TfjsModel): void {
  if (!(model instanceof tf.LayersModel)) return;
  const known = new Set([...model.inputs, ...model.outputs].map((t) => t.name));
  for (const [name, def] of Object.entries(signatures.signature_def)) {
    for (const info of [...Object.values(def.inputs), ...Object.values(def.outputs)]) {
      if (!known.has(info.name)) {
        throw badModel(
          `Signature ${name} names tensor ${info.name}, which the model does not have (it has ${[...known].join(", ")})`,
        );
      }
    }
  }
}

class TfjsServable implements Servable {
  readonly runtime = tfjsRuntimeName();

  constructor(
    private readonly model: TfjsModel,
    readonly signatures: SignatureDefMap,
    readonly classLabels: Record<string, string[]> | undefined,
  ) {}

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const signature = this.signatures.signature_def[signatureName];
    if (!signature) throw invalidArgument(signatureNotFound(signatureName));
    const outputKeys = options?.outputKeys ?? Object.keys(signature.outputs);
    const feeds: tf.NamedTensorMap = {};
    for (const [key, info] of Object.entries(signature.inputs)) {
      const host = inputs[key];
      if (!host) throw invalidArgument(`Missing input tensor: ${key}`);
      feeds[info.name] = toTfTensor(host);
    }
    const outputNames = outputKeys.map((key) => outputInfo(signature, key).name);
    let results: tf.Tensor[] = [];
    try {
      results = await this.#execute(feeds, outputNames);
      const out: TensorMap = {};
      for (let i = 0; i < outputKeys.length; i++) {
        const key = outputKeys[i]!;
        out[key] = await fromTfTensor(results[i]!, outputInfo(signature, key).dtype);
      }
      return out;
    } finally {
      tf.dispose(Object.values(feeds));
      tf.dispose(results);
    }
  }

  /** Graph models with control flow or dynamic shapes need executeAsync; learnt on first use. */
  #needsAsync = false;

  async #execute(feeds: tf.NamedTensorMap, outputNames: string[]): Promise<tf.Tensor[]> {
    try {
      let result: tf.Tensor | tf.Tensor[];
      if (this.model instanceof tf.GraphModel) {
        if (!this.#needsAsync) {
          try {
            result = this.model.execute(feeds, outputNames);
            return Array.isArray(result) ? result : [result];
          } catch (error) {
            if (!/executeAsync/.test((error as Error).message)) throw error;
            this.#needsAsync = true;
          }
        }
        result = await this.model.executeAsync(feeds, outputNames);
      } else {
        result = this.model.execute(feeds, outputNames);
      }
      return Array.isArray(result) ? result : [result];
    } catch (error) {
      throw invalidArgument((error as Error).message);
    }
  }
}

function outputInfo(signature: SignatureDef, key: string) {
  const info = signature.outputs[key];
  if (!info) throw invalidArgument(`Unknown output key: ${key}`);
  return info;
}
