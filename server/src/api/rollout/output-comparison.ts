import type { HostTensor, TensorMap } from "@servable/protocol";
import type { ClassResult } from "../inference/example-inference";

/**
 * How a shadow run's outputs compare with stable's answer to the same request.
 *
 * Predict, regress and V2 infer agree when every output of stable's is in the candidate's
 * with the same dtype and shape and every value is close: |a - b| <= 1e-6 + 1e-5 |a|, `a`
 * stable's (NaN matches NaN; strings match byte for byte). Classify agrees when each
 * example's top class is the same. `maxAbsDiff` is the largest |a - b| over the numeric
 * values compared (Infinity when a shape or dtype differs, so nothing is comparable).
 */
export interface Comparison {
  readonly agreed: boolean;
  readonly maxAbsDiff: number;
}

const ABSOLUTE_TOLERANCE = 1e-6;
const RELATIVE_TOLERANCE = 1e-5;

export function compareOutputs(stable: TensorMap, candidate: TensorMap): Comparison {
  let agreed = true;
  let maxAbsDiff = 0;
  for (const [key, a] of Object.entries(stable)) {
    const b = Object.prototype.hasOwnProperty.call(candidate, key) ? candidate[key] : undefined;
    const one = b ? compareTensors(a, b) : { agreed: false, maxAbsDiff: Infinity };
    agreed &&= one.agreed;
    maxAbsDiff = Math.max(maxAbsDiff, one.maxAbsDiff);
  }
  return { agreed, maxAbsDiff };
}

/** Classify: the top class of each example (the first of the highest scores) agrees. */
export function compareTopClasses(
  stable: readonly (readonly ClassResult[])[],
  candidate: readonly (readonly ClassResult[])[],
  scores: Comparison,
): Comparison {
  let agreed = stable.length === candidate.length;
  for (let i = 0; agreed && i < stable.length; i++) {
    agreed = topClass(stable[i]!) === topClass(candidate[i]!);
  }
  return { agreed, maxAbsDiff: scores.maxAbsDiff };
}

function topClass(classes: readonly ClassResult[]): string | undefined {
  let top: ClassResult | undefined;
  for (const c of classes) if (!top || c.score > top.score) top = c;
  return top?.label;
}

function compareTensors(a: HostTensor, b: HostTensor): Comparison {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) {
    return { agreed: false, maxAbsDiff: Infinity };
  }
  for (let d = 0; d < a.shape.length; d++) {
    if (a.shape[d] !== b.shape[d]) return { agreed: false, maxAbsDiff: Infinity };
  }
  if (a.dtype === "DT_STRING") {
    const x = a.data as Uint8Array[];
    const y = b.data as Uint8Array[];
    const agreed = x.every((bytes, i) => Buffer.compare(bytes, y[i]!) === 0);
    return { agreed, maxAbsDiff: 0 };
  }
  const x = a.data as ArrayLike<number | bigint>;
  const y = b.data as ArrayLike<number | bigint>;
  let agreed = true;
  let maxAbsDiff = 0;
  for (let i = 0; i < x.length; i++) {
    const u = Number(x[i]);
    const v = Number(y[i]);
    if (Number.isNaN(u) || Number.isNaN(v)) {
      if (Number.isNaN(u) !== Number.isNaN(v)) agreed = false;
      continue;
    }
    if (u === v) continue;
    const diff = Math.abs(u - v);
    if (!(diff <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.abs(u))) agreed = false;
    if (diff > maxAbsDiff) maxAbsDiff = diff;
  }
  return { agreed, maxAbsDiff };
}
