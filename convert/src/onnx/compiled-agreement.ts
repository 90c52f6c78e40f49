/**
 * When a TF.js model compiled to ONNX counts as computing what TF.js computes: the
 * converter's tests and the server's check before it serves a compiled engine draw
 * sample inputs from the same seeded generator and hold outputs to the same tolerance,
 * so a model the tests accept is one the server accepts.
 */
export const COMPILED_RELATIVE_TOLERANCE = 1e-5;

/** `got` lies within COMPILED_RELATIVE_TOLERANCE of `want` (relative above 1, absolute below); NaN matches NaN only. */
export function agreesWithin(got: number, want: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  return Math.abs(got - want) <= COMPILED_RELATIVE_TOLERANCE * Math.max(1, Math.abs(want));
}

/** mulberry32: a small seeded generator of values in [0, 1), so every run draws the same sample. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
