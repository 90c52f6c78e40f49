import * as tf from "@tensorflow/tfjs";
import { badModel, type SignatureDefMap } from "@servable/protocol";
import { bindByTensorNames, type TfjsVersion } from "../loaded-version";
import type { ModelFormat } from "../model-format";
import { readVersionSignatures } from "../signature-file";
import { deriveSignatures, describeLayersTensor } from "./derive-signatures";
import { resolveLayerNames } from "./layer-names";
import { readModelArtifacts } from "./model-artifacts";

/**
 * TensorFlow.js models: a layers model or a graph model (model.json and weight shards),
 * with Servable's signature file beside it, or a derived `serving_default`.
 */
export const tfjsFormat: ModelFormat = {
  name: "tfjs",
  marker: "model.json (TF.js)",
  detect: (files) => files.includes("model.json"),
  async load(dir): Promise<TfjsVersion> {
    const artifacts = await readModelArtifacts(dir);
    const file = await readVersionSignatures(dir);
    const model = await loadModel(artifacts, dir);
    try {
      const signatures = file ? resolveLayerNames(file, model) : deriveFromModel(model);
      checkSignatureTensors(signatures, model);
      return {
        engine: "tfjs",
        model:
          model instanceof tf.GraphModel ? { kind: "graph", model } : { kind: "layers", model },
        signatures,
        classLabels: file?.class_labels,
        bindings: bindByTensorNames(signatures),
        dispose: () => model.dispose(),
      };
    } catch (error) {
      model.dispose();
      throw error;
    }
  },
};

type LoadedTfjsModel = tf.LayersModel | tf.GraphModel;

async function loadModel(artifacts: tf.io.ModelArtifacts, dir: string): Promise<LoadedTfjsModel> {
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

function deriveFromModel(model: LoadedTfjsModel): SignatureDefMap {
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
function checkSignatureTensors(signatures: SignatureDefMap, model: LoadedTfjsModel): void {
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
