import type { LayerLike } from "./tfjs-model";

/*
 * Reading a TF.js layer's config and weights the same way whichever graph a converter
 * writes (TensorFlow ops or ONNX operators), so the two targets accept the same layers
 * and compute the same folded values.
 */

/** Throws the calling converter's own error, saying why the layer cannot be written. */
export type LayerFailure = (why: string) => never;

/** A config value for the two spatial axes (a number or [height, width]) as [height, width]. */
export function spatialPair(value: unknown): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1] ?? value[0])];
  return [Number(value), Number(value)];
}

/** A weight's name within its layer ("dense_1/kernel" -> "kernel"). */
export const weightShortName = (name: string): string => name.slice(name.lastIndexOf("/") + 1);

export const isLastAxis = (axis: number, rank: number): boolean => axis === -1 || axis === rank - 1;

/** Both writers keep TF.js's channelsLast layout between layers; channelsFirst fails. */
export function requireChannelsLast(config: Record<string, unknown>, fail: LayerFailure): void {
  if ((config.dataFormat ?? "channelsLast") !== "channelsLast")
    fail("only channelsLast data is supported");
}

/**
 * Inference batch normalization folded into one scale and one offset per channel:
 * y = x * scale + offset, with scale = gamma / sqrt(variance + epsilon) and
 * offset = beta - mean * scale. Only normalization over the last axis is supported.
 */
export function foldedBatchNorm(
  layer: LayerLike,
  config: Record<string, unknown>,
  rank: number,
  fail: LayerFailure,
): { scale: number[]; offset: number[] } {
  const axis = config.axis ?? -1;
  const last = Array.isArray(axis)
    ? axis.length === 1 && isLastAxis(Number(axis[0]), rank)
    : isLastAxis(Number(axis), rank);
  if (!last) fail("normalization over an axis other than the last is not supported");
  const values = new Map(
    layer.weights.map((w) => [weightShortName(w.originalName), Array.from(w.read().dataSync())]),
  );
  const mean = values.get("moving_mean")!;
  const variance = values.get("moving_variance")!;
  const gamma = values.get("gamma") ?? mean.map(() => 1);
  const beta = values.get("beta") ?? mean.map(() => 0);
  const epsilon = Number(config.epsilon ?? 1e-3);
  const scale = gamma.map((g, i) => g / Math.sqrt(variance[i]! + epsilon));
  const offset = beta.map((b, i) => b - mean[i]! * scale[i]!);
  return { scale, offset };
}
