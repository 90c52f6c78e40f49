import type * as tf from "@tensorflow/tfjs";
import { tfjsToDataType } from "@servable/convert";
import {
  DEFAULT_SIGNATURE,
  PREDICT_METHOD,
  tensorInfo,
  type SignatureDefMap,
  type TensorInfo,
} from "@servable/protocol";

/** A model's inputs or outputs as TF.js describes them. */
export interface ModelTensorDescription {
  /** Logical key in the signature (layer name for layers models). */
  key: string;
  /** The tensor name the model executes by. */
  name: string;
  dtype: string;
  shape: readonly (number | null)[] | undefined;
}

/**
 * The `serving_default` predict signature of a model that has no signature file:
 * every input and output of the model, unknown dimensions as -1.
 */
export function deriveSignatures(
  inputs: readonly ModelTensorDescription[],
  outputs: readonly ModelTensorDescription[],
): SignatureDefMap {
  const toMap = (list: readonly ModelTensorDescription[]): Record<string, TensorInfo> =>
    Object.fromEntries(
      list.map((t) => [
        t.key,
        tensorInfo(
          t.name,
          tfjsToDataType(t.dtype),
          t.shape?.map((d) => (d === null || d < 0 ? -1 : d)),
        ),
      ]),
    );
  return {
    signature_def: {
      [DEFAULT_SIGNATURE]: {
        inputs: toMap(inputs),
        outputs: toMap(outputs),
        method_name: PREDICT_METHOD,
      },
    },
  };
}

/** A layers model's input or output, keyed by its layer name. */
export const describeLayersTensor = (
  t: tf.SymbolicTensor,
  key: string,
): ModelTensorDescription => ({
  key,
  name: t.name,
  dtype: t.dtype,
  shape: t.shape,
});
