import * as tf from "@tensorflow/tfjs";
import type {
  TensorBindings,
  TensorBinding,
  NativeSignature,
  TfjsVersion,
} from "../../loaded-version";
import type { LoadContext } from "../../model-format";
import { metaGraphWithTags, readSavedModel } from "../saved-model-file";
import { INIT_OP_SIGNATURE, signatureDefMap } from "../signature-defs";

/**
 * SavedModels on native TensorFlow, when @tensorflow/tfjs-node is installed and its
 * backend runs: each signature is loaded with `tf.node.loadSavedModel` (one TensorFlow
 * session per MetaGraph, shared by its signatures), fed and fetched by the keys its
 * SignatureDef gives. The SignatureDefs printed are still read by Servable's own reader,
 * so metadata looks the same either way.
 *
 * tfjs-node cannot be installed where Servable is developed (its install downloads
 * libtensorflow), so this path is not exercised by the test suite.
 */
const TFJS_NODE = "@tensorflow/tfjs-node";

interface TfjsNode {
  node: {
    loadSavedModel(path: string, tags?: string[], signature?: string): Promise<NativeSignature>;
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

export async function loadNatively(dir: string, context: LoadContext): Promise<TfjsVersion> {
  const tags = [...context.options.savedModelTags];
  const metaGraph = metaGraphWithTags(await readSavedModel(dir), tags);
  const signatures = signatureDefMap(metaGraph.signature_def ?? {});
  const tfjsNode = (await import(TFJS_NODE)) as TfjsNode;
  const bySignature = new Map<string, NativeSignature>();
  const bindings = new Map<string, TensorBindings | string>();
  try {
    for (const [name, def] of Object.entries(signatures.signature_def)) {
      if (name === INIT_OP_SIGNATURE) continue;
      bySignature.set(name, await tfjsNode.node.loadSavedModel(dir, tags, name));
      // tfjs-node feeds and fetches a signature by its keys.
      const byKey = (infos: typeof def.inputs) =>
        new Map<string, TensorBinding>(
          Object.entries(infos).map(([key, info]) => [key, { name: key, dtype: info.dtype }]),
        );
      bindings.set(name, { inputs: byKey(def.inputs), outputs: byKey(def.outputs) });
    }
  } catch (error) {
    for (const model of bySignature.values()) model.dispose();
    throw error;
  }
  context.logger.info(
    { dir, signatures: bySignature.size },
    "SavedModel loaded with native TensorFlow",
  );
  return {
    engine: "tfjs",
    model: { kind: "native", bySignature },
    signatures,
    parsesExamples: true,
    bindings,
    dispose: () => {
      for (const model of bySignature.values()) model.dispose();
    },
  };
}
