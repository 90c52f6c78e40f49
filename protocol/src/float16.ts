/**
 * IEEE 754 half precision to and from float32: Servable carries DT_HALF widened to
 * float32 on the host; onnxruntime, TensorProto's `half_val` and `tensor_content` hold
 * the 16-bit patterns (Node 20 has no Float16Array).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds each value to the nearest half (ties to even), as the 16-bit pattern. */
export function toHalfBits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBits(values[i]!);
  return out;
}

export function fromHalfBits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfValue(bits[i]!);
  return out;
}

/** One value rounded to the nearest half (ties to even), as its 16-bit pattern. */
export function halfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(m, shift);
  }
  // Rounding may carry into the exponent, which is what the bit layout wants.
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

/** value >> shift, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The value of a 16-bit half pattern. */
export function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
