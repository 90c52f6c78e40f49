import {
  numElements,
  type HostTensor,
  type SignatureDefMap,
  type TensorInfo,
  type TensorMap,
} from "@servable/protocol";
import { agreesWithin, COMPILED_RELATIVE_TOLERANCE, seededRandom } from "@servable/convert";
import type { Servable } from "../../core/servable";

/**
 * Whether two engines answer the same on a sample input: for every signature, a batch of
 * SAMPLE_ROWS rows drawn from a fixed seed in the shapes and dtypes the signature gives
 * (a free dimension other than the batch takes FREE_DIM), run on both; every output
 * must have the same shape and each value `a` of the candidate must lie within
 * `|a - b| <= COMPILED_RELATIVE_TOLERANCE * max(1, |b|)` of the reference's `b` (NaN
 * only where the reference has NaN): the converter's own tests hold compiled models to
 * that. The answer is the first difference found, or undefined.
 */
export const SAMPLE_ROWS = 3;
const FREE_DIM = 4;
const SEED = 0x5e7ab1e;

export async function engineDisagreement(
  reference: Servable,
  candidate: Servable,
  signatures: SignatureDefMap,
  names: { reference: string; candidate: string },
): Promise<string | undefined> {
  for (const [name, def] of Object.entries(signatures.signature_def)) {
    const random = seededRandom(SEED);
    const inputs = Object.create(null) as TensorMap;
    for (const [key, info] of Object.entries(def.inputs)) inputs[key] = sample(info, random);
    const expected = await reference.run(name, copy(inputs));
    const got = await candidate.run(name, copy(inputs));
    for (const [key, want] of Object.entries(expected)) {
      const difference = compare(got[key], want, names);
      if (difference) return `on a sample input, signature ${name} output ${key}: ${difference}`;
    }
  }
  return undefined;
}

function compare(
  got: HostTensor | undefined,
  want: HostTensor,
  names: { reference: string; candidate: string },
): string | undefined {
  if (!got) return `${names.candidate} gives no such output`;
  if (got.shape.join() !== want.shape.join()) {
    return `${names.candidate} gives shape [${got.shape.join(", ")}], ${names.reference} [${want.shape.join(", ")}]`;
  }
  const a = got.data as ArrayLike<number>;
  const b = want.data as ArrayLike<number>;
  for (let i = 0; i < b.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (!agreesWithin(x, y)) {
      return `value ${i} is ${x} on ${names.candidate} and ${y} on ${names.reference} (more than ${COMPILED_RELATIVE_TOLERANCE} relative apart)`;
    }
  }
  return undefined;
}

/** Values in [-1, 1) for floats, 0..9 for integers, in the signature's shape. */
function sample(info: TensorInfo, random: () => number): HostTensor {
  const dims = info.tensor_shape.unknown_rank
    ? [SAMPLE_ROWS]
    : info.tensor_shape.dim.map((d) => Number(d.size));
  const shape = dims.map((d, i) => (d >= 0 ? d : i === 0 ? SAMPLE_ROWS : FREE_DIM));
  const length = numElements(shape);
  switch (info.dtype) {
    case "DT_INT32":
      return {
        dtype: "DT_INT32",
        shape,
        data: Int32Array.from({ length }, () => Math.floor(random() * 10)),
      };
    case "DT_DOUBLE":
      return {
        dtype: "DT_DOUBLE",
        shape,
        data: Float64Array.from({ length }, () => random() * 2 - 1),
      };
    default:
      return {
        dtype: "DT_FLOAT",
        shape,
        data: Float32Array.from({ length }, () => random() * 2 - 1),
      };
  }
}

/** Each engine gets its own copy: either may keep or move the buffers it is given. */
function copy(inputs: TensorMap): TensorMap {
  const out = Object.create(null) as TensorMap;
  for (const [key, t] of Object.entries(inputs)) {
    out[key] = { ...t, data: (t.data as Float32Array).slice() } as HostTensor;
  }
  return out;
}
