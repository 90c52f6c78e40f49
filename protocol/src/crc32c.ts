import { buf } from "crc-32/crc32c";

/**
 * CRC-32C (Castagnoli), as TensorFlow checksums its TFRecord files and checkpoints
 * (crc-32's implementation), and TensorFlow's "masked" form of it, as stored on disk.
 */

/** Extends a running CRC-32C (0 to start) with `bytes`. */
export function crc32cExtend(crc: number, bytes: Uint8Array): number {
  return buf(bytes, crc | 0) >>> 0;
}

export const crc32c = (bytes: Uint8Array): number => crc32cExtend(0, bytes);

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC (rotated right by 15 bits, plus a constant; crc32c.h). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}

/** The masked CRC-32C of `bytes`. */
export const maskedCrc32c = (bytes: Uint8Array): number => maskCrc(crc32c(bytes));
