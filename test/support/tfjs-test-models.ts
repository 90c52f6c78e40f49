import * as tf from "@tensorflow/tfjs";

/**
 * Small TF.js layers models that cover the layer kinds Servable converts (to SavedModels,
 * to ONNX): the tests that export them and those that serve them on each engine share
 * these. Weights are TF.js's random initial ones unless said otherwise.
 */

/** Dense, batch normalization with moved statistics, dropout, softmax: iris-shaped. */
export function dense(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 12, activation: "relu", inputShape: [4] }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dropout({ rate: 0.2 }));
  model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  // Moving statistics away from 0 and 1, so that folding them into the graph is tested.
  const norm = model.layers[1]!;
  norm.setWeights(
    norm
      .getWeights()
      .map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 2) : tf.randomNormal(w.shape))),
  );
  return model;
}

/** Convolutions (plain and depthwise), pooling, global pooling. */
export function cnn(): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
    }),
  );
  model.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: "same" }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 2, kernelSize: 2, activation: "tanh" }));
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: 2 }));
  return model;
}

/** Two inputs joined by Concatenate. */
export function twoInputs(): tf.LayersModel {
  const a = tf.input({ shape: [3], name: "a" });
  const b = tf.input({ shape: [2], name: "b" });
  const ha = tf.layers.dense({ units: 4, activation: "relu" }).apply(a) as tf.SymbolicTensor;
  const hb = tf.layers.dense({ units: 4, activation: "sigmoid" }).apply(b) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([ha, hb]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: "out" }).apply(joined) as tf.SymbolicTensor;
  return tf.model({ inputs: [a, b], outputs: out });
}

/** Numbers and token ids: embedding, a skip connection, leaky ReLU, one score. */
export function scorer(): tf.LayersModel {
  const numbers = tf.input({ shape: [6], name: "numbers" });
  const tokens = tf.input({ shape: [5], name: "tokens" });
  const embedded = tf.layers
    .flatten()
    .apply(tf.layers.embedding({ inputDim: 10, outputDim: 4 }).apply(tokens)) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: 8, activation: "tanh" }).apply(numbers);
  const joined = tf.layers.concatenate().apply([hidden, embedded] as tf.SymbolicTensor[]);
  const mixed = tf.layers.dense({ units: 8, activation: "relu" }).apply(joined);
  const skip = tf.layers.dense({ units: 8 }).apply(numbers);
  const summed = tf.layers.add().apply([mixed, skip] as tf.SymbolicTensor[]);
  const activated = tf.layers.leakyReLU({ alpha: 0.1 }).apply(summed);
  const out = tf.layers
    .dense({ units: 1, activation: "sigmoid", name: "score" })
    .apply(activated) as tf.SymbolicTensor;
  return tf.model({ inputs: [numbers, tokens], outputs: out });
}

/** A sequential model used as a layer, over token embeddings pooled along the sequence. */
export function nested(): tf.LayersModel {
  const inner = tf.sequential();
  inner.add(tf.layers.dense({ units: 6, activation: "swish", inputShape: [4] }));
  inner.add(tf.layers.reshape({ targetShape: [3, 2] }));
  inner.add(tf.layers.globalMaxPooling1d({}));
  const tokens = tf.input({ shape: [7], name: "tokens" });
  const pooled = tf.layers
    .globalAveragePooling1d({})
    .apply(tf.layers.embedding({ inputDim: 20, outputDim: 4 }).apply(tokens)) as tf.SymbolicTensor;
  const out = tf.layers
    .activation({ activation: "softplus" })
    .apply(inner.apply(pooled)) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: out });
}
