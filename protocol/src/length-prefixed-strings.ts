/**
 * A string tensor's elements as one buffer: each element's length as a uint32
 * little-endian, then its bytes, in order. KServe v2's binary BYTES tensors and TF.js's
 * string weights both lay strings out this way.
 */
export function lengthPrefixedStrings(values: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(values.reduce((n, v) => n + 4 + v.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const value of values) {
    view.setUint32(at, value.length, true);
    out.set(value, at + 4);
    at += 4 + value.length;
  }
  return out;
}
