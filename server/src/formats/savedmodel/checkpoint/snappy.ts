/**
 * Raw (unframed) Snappy, as TensorFlow's table writer compresses blocks, from the npm
 * package snappyjs (pure JavaScript). It ships no type declarations, hence the typed
 * require here.
 */
interface Snappy {
  uncompress(data: Buffer): Buffer;
  compress(data: Buffer): Buffer;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require("snappyjs") as Snappy;

export const snappyUncompress = (data: Uint8Array): Uint8Array =>
  new Uint8Array(snappy.uncompress(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));

export const snappyCompress = (data: Uint8Array): Uint8Array =>
  new Uint8Array(snappy.compress(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
