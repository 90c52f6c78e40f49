import * as tf from "@tensorflow/tfjs";
import {
  invalidArgument,
  ServingError,
  type SignatureDefMap,
  type TensorMap,
  signatureNotFound,
} from "@servable/protocol";
import { fromTfTensor, toTfTensor } from "../../../execution/tfjs/tfjs-tensors";
import type { RunOptions, Servable } from "../../../core/servable";
import type { LoadContext, LoadedModel } from "../../model-format";
import { metaGraphWithTags, readSavedModel } from "../saved-model-file";
import { INIT_OP_SIGNATURE, signatureDefMap } from "../signature-defs";

/**
 * SavedModels on native TensorFlow, when @tensorflow/tfjs-node is installed and its
 * backend runs: each signature is loaded with `tf.node.loadSavedModel` (one TensorFlow
 * session per MetaGraph, shared by its signatures) and run with its inputs keyed as the
 * SignatureDef keys them. The SignatureDefs printed are still read by Servable's own
 * reader, so metadata looks the same either way.
 *
 * tfjs-node cannot be installed where Servable is developed (its install downloads
 * libtensorflow), so this path is not exercised by the test suite.
 */
const TFJS_NODE = "@tensorflow/tfjs-node";

interface NativeSavedModel {
  predict(inputs: tf.NamedTensorMap): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  readonly outputs: readonly { name: string }[];
  dispose(): void;
}

interface TfjsNode {
  node: {
    loadSavedModel(path: string, tags?: string[], signature?: string): Promise<NativeSavedModel>;
  };
}

export function nativeTensorFlowAvailable(): boolean {
  if (tf.getBackend() !== "tensorflow") return false;
  try {
    require.resolve(TFJS_NODE);
    return true;
  } catch {
    return false;
  }
}

export async function loadNatively(dir: string, context: LoadContext): Promise<LoadedModel> {
  const tags = [...context.options.savedModelTags];
  const metaGraph = metaGraphWithTags(await readSavedModel(dir), tags);
  const signatures = signatureDefMap(metaGraph.signature_def ?? {});
  const tfjsNode = (await import(TFJS_NODE)) as TfjsNode;
  const models = new Map<string, NativeSavedModel>();
  try {
    for (const name of Object.keys(signatures.signature_def)) {
      if (name === INIT_OP_SIGNATURE) continue;
      models.set(name, await tfjsNode.node.loadSavedModel(dir, tags, name));
    }
  } catch (error) {
    for (const model of models.values()) model.dispose();
    throw error;
  }
  context.logger.info({ dir, signatures: models.size }, "SavedModel loaded with native TensorFlow");
  const servable = new NativeSavedModelServable(models, signatures);
  return {
    servable,
    unload: async () => {
      for (const model of models.values()) model.dispose();
    },
  };
}

class NativeSavedModelServable implements Servable {
  readonly runtime = "tensorflow";
  readonly parsesExamples = true;

  constructor(
    private readonly models: ReadonlyMap<string, NativeSavedModel>,
    readonly signatures: SignatureDefMap,
  ) {}

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const signature = this.signatures.signature_def[signatureName];
    const model = this.models.get(signatureName);
    if (!signature || !model) {
      throw invalidArgument(signatureNotFound(signatureName));
    }
    const feeds: tf.NamedTensorMap = {};
    let produced: tf.Tensor[] = [];
    try {
      for (const key of Object.keys(signature.inputs)) {
        const host = inputs[key];
        if (!host) throw invalidArgument(`Missing input tensor: ${key}`);
        feeds[key] = toTfTensor(host);
      }
      const result = model.predict(feeds);
      const outputKeys = Object.keys(signature.outputs);
      const byKey: tf.NamedTensorMap =
        result instanceof tf.Tensor
          ? { [outputKeys[0]!]: result }
          : Array.isArray(result)
            ? Object.fromEntries(outputKeys.map((k, i) => [k, result[i]!]))
            : result;
      produced = Object.values(byKey);
      const out: TensorMap = {};
      for (const key of options?.outputKeys ?? outputKeys) {
        const tensor = byKey[key];
        if (!tensor) throw invalidArgument(`Unknown output key: ${key}`);
        out[key] = await fromTfTensor(tensor, signature.outputs[key]!.dtype);
      }
      return out;
    } catch (error) {
      if (error instanceof ServingError) throw error;
      throw invalidArgument((error as Error).message);
    } finally {
      tf.dispose(Object.values(feeds));
      tf.dispose(produced);
    }
  }
}
