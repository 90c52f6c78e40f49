// crc-32 ships types for its main module only; its CRC-32C module has the same API.
declare module "crc-32/crc32c" {
  /** CRC-32C of `data`, continuing from `seed`, as a signed 32-bit integer. */
  export function buf(data: number[] | Uint8Array, seed?: number): number;
}
