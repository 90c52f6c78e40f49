/**
 * A convolution filter in ONNX's layout. TF keeps it as [kh, kw, in, out] (depthwise:
 * [kh, kw, in, multiplier]); ONNX's Conv wants [out, in / group, kh, kw], and a
 * depthwise convolution is a grouped one whose output channel c * multiplier + m reads
 * input channel c. Both compilers (layers models and graph models) read TF's filters.
 */
export interface OnnxFilter {
  readonly dims: [number, number, number, number];
  readonly data: Float32Array;
  /** Conv's `group`: the input channels for a depthwise filter, else 1. */
  readonly group: number;
}

export function onnxFilter(
  shape: readonly number[],
  data: ArrayLike<number>,
  depthwise: boolean,
): OnnxFilter {
  const [kh, kw, inC, outC] = shape as [number, number, number, number];
  const out = depthwise ? inC * outC : outC;
  const perGroup = depthwise ? 1 : inC;
  const onnx = new Float32Array(out * perGroup * kh * kw);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < inC; c++)
        for (let o = 0; o < outC; o++) {
          const to = depthwise
            ? (c * outC + o) * kh * kw + i * kw + j
            : ((o * inC + c) * kh + i) * kw + j;
          onnx[to] = data[((i * kw + j) * inC + c) * outC + o]!;
        }
  return { dims: [out, perGroup, kh, kw], data: onnx, group: depthwise ? inC : 1 };
}
