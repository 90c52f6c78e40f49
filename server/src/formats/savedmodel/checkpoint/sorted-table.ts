import { crc32cExtend, unmaskCrc } from "@servable/protocol";
import { snappyUncompress } from "./snappy";

/**
 * The sorted string table a TensorFlow checkpoint's `.index` file is: LevelDB's table
 * format without filter blocks (tensorflow/tsl/lib/io/format.cc, block.cc, table.cc).
 *
 *   [data block]... [metaindex block] [index block] [footer: 2 block handles, padding, magic]
 *   block = contents, 1 byte compression (0 none, 1 Snappy), 4 bytes masked CRC-32C
 *   contents = entries {varint shared, varint unshared, varint value length, key delta, value},
 *              then the restart offsets (uint32 each) and their count (uint32)
 *
 * Writers differ in whether data blocks are Snappy-compressed (TF 1.14 and 2.x output is),
 * so both are read.
 */
export class TableFormatError extends Error {}

const FOOTER_BYTES = 48;
const MAGIC_LOW = 0x8b80fb57;
const MAGIC_HIGH = 0xdb477524;
const BLOCK_TRAILER_BYTES = 5;

interface BlockHandle {
  offset: number;
  size: number;
}

/** Every (key, value) of the table in key order. */
export function readSortedTable(file: Uint8Array): [Uint8Array, Uint8Array][] {
  if (file.length < FOOTER_BYTES) throw new TableFormatError("the file is shorter than a footer");
  const footer = file.subarray(file.length - FOOTER_BYTES);
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  if (view.getUint32(40, true) !== MAGIC_LOW || view.getUint32(44, true) !== MAGIC_HIGH) {
    throw new TableFormatError("bad magic number (not a TensorFlow checkpoint index)");
  }
  const reader = new VarintReader(footer);
  readHandle(reader); // the metaindex block: empty, no filters
  const index = readHandle(reader);
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const [, handleBytes] of blockEntries(readBlock(file, index))) {
    const handle = readHandle(new VarintReader(handleBytes));
    entries.push(...blockEntries(readBlock(file, handle)));
  }
  return entries;
}

function readHandle(reader: VarintReader): BlockHandle {
  return { offset: reader.varint(), size: reader.varint() };
}

function readBlock(file: Uint8Array, { offset, size }: BlockHandle): Uint8Array {
  if (offset + size + BLOCK_TRAILER_BYTES > file.length) {
    throw new TableFormatError(`block at ${offset} (${size} bytes) runs past the end of the file`);
  }
  const contents = file.subarray(offset, offset + size);
  const type = file[offset + size]!;
  const stored = new DataView(file.buffer, file.byteOffset).getUint32(offset + size + 1, true);
  const actual = crc32cExtend(
    crc32cExtend(0, contents),
    file.subarray(offset + size, offset + size + 1),
  );
  if (unmaskCrc(stored) !== actual)
    throw new TableFormatError(`block at ${offset}: checksum mismatch`);
  if (type === 0) return contents;
  if (type === 1) return snappyUncompress(contents);
  throw new TableFormatError(`block at ${offset}: unknown compression type ${type}`);
}

function blockEntries(block: Uint8Array): [Uint8Array, Uint8Array][] {
  if (block.length < 4) throw new TableFormatError("block too short");
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const restarts = view.getUint32(block.length - 4, true);
  const end = block.length - 4 - 4 * restarts;
  if (end < 0) throw new TableFormatError("block restart array out of range");
  const reader = new VarintReader(block.subarray(0, end));
  const entries: [Uint8Array, Uint8Array][] = [];
  let key = new Uint8Array(0);
  while (!reader.done) {
    const shared = reader.varint();
    const unshared = reader.varint();
    const valueLength = reader.varint();
    if (shared > key.length) throw new TableFormatError("corrupt block entry");
    const next = new Uint8Array(shared + unshared);
    next.set(key.subarray(0, shared));
    next.set(reader.bytes(unshared), shared);
    key = next;
    entries.push([key, reader.bytes(valueLength)]);
  }
  return entries;
}

/** Reads protobuf-style varints (up to 2^53) and byte runs from a buffer. */
export class VarintReader {
  #pos = 0;
  constructor(private readonly data: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.data.length;
  }

  get position(): number {
    return this.#pos;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.#pos >= this.data.length) throw new TableFormatError("truncated varint");
      const byte = this.data[this.#pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 56) throw new TableFormatError("varint too long");
    }
  }

  bytes(length: number): Uint8Array {
    if (this.#pos + length > this.data.length) throw new TableFormatError("truncated entry");
    const out = this.data.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }
}
