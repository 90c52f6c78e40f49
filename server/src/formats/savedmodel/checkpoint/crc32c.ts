/**
 * CRC-32C (Castagnoli), as TensorFlow's checkpoints checksum their blocks and tensors,
 * and the "masked" form they store. Node's zlib has only the other CRC-32 and the npm
 * registry has no small pure-JavaScript package for this one: it is a 256-entry table.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Extends a running CRC-32C (0 to start) with `bytes`. */
export function crc32cExtend(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export const crc32c = (bytes: Uint8Array): number => crc32cExtend(0, bytes);

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC (rotate right by 15, add a constant), as stored on disk. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}
