import * as tf from "@tensorflow/tfjs";
import type { SignatureDefMap, TensorInfo } from "@servable/protocol";

/**
 * A layers model's tensor names depend on the process that loads it: TF.js makes them
 * unique per process, so a second copy of a model (the next version) has `dense_1/Relu_1`
 * where the first had `dense_1/Relu`. Its layer names are saved in model.json and stay.
 * A signature file may therefore name a layers model's inputs and outputs by layer
 * (as the kernel library writes them); this maps those names to the loaded tensors.
 * Tensor names that match, and graph models, are left as they are.
 */
export function resolveLayerNames(
  signatures: SignatureDefMap,
  model: tf.LayersModel | tf.GraphModel,
): SignatureDefMap {
  if (!(model instanceof tf.LayersModel)) return signatures;
  // A tensor's source layer, not model.inputNames: a Sequential model fills those only once it runs.
  const byLayer = (tensors: readonly tf.SymbolicTensor[]) =>
    new Map(tensors.map((t) => [t.sourceLayer.name, t.name]));
  const inputs = byLayer(model.inputs);
  const outputs = byLayer(model.outputs);
  const resolve = (infos: Record<string, TensorInfo>, layers: Map<string, string>) =>
    Object.fromEntries(
      Object.entries(infos).map(([key, info]) => [
        key,
        layers.has(info.name) ? { ...info, name: layers.get(info.name)! } : info,
      ]),
    );
  return {
    signature_def: Object.fromEntries(
      Object.entries(signatures.signature_def).map(([name, def]) => [
        name,
        { ...def, inputs: resolve(def.inputs, inputs), outputs: resolve(def.outputs, outputs) },
      ]),
    ),
  };
}
