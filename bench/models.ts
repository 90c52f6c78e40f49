import { cp } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { writeTfjsModel } from "@servable/convert";

/** The benchmark's model repository: the demo half_plus_two and a 784-512-512-10 MLP. */
export const MLP_INPUT = 784;

export async function makeModelRepository(root: string, demoRepository: string): Promise<void> {
  await cp(join(demoRepository, "half_plus_two"), join(root, "half_plus_two"), { recursive: true });
  await writeMlp(join(root, "mlp", "1"));
}

/** A dense 784-512-512-10 classifier with fixed pseudo-random weights, saved as a TF.js layers model. */
async function writeMlp(dir: string): Promise<void> {
  const model = mlpModel();
  await writeTfjsModel(model, dir);
  model.dispose();
}

/** The dense 784-512-512-10 classifier with fixed pseudo-random weights. */
export function mlpModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [MLP_INPUT],
        units: 512,
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({
        units: 512,
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
      tf.layers.dense({
        units: 10,
        activation: "softmax",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      }),
    ],
  });
}

/** One MLP row: 784 values in [0, 1) with three decimals, as a client's JSON carries them. */
export function mlpValues(): number[] {
  return Array.from({ length: MLP_INPUT }, (_, i) => ((i * 7919) % 1000) / 1000);
}

/** The same row as float32, as binary protocols carry it. */
export const mlpRow = (): Float32Array => Float32Array.from(mlpValues());
