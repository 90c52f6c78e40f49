import {
  type DataType,
  numElements,
  type HostTensor,
  decodeMessage,
  type BundleEntryProto,
  type BundleHeaderProto,
  checkedDataType,
  shapeDims,
  tensorFromBytes,
  crc32cExtend,
  unmaskCrc,
} from "@servable/protocol";
import { readSortedTable, VarintReader } from "./sorted-table";
import { readRegularFile } from "../../version-files";

/**
 * A TensorFlow checkpoint in the TensorBundle format (tensorflow/core/util/tensor_bundle):
 * `<prefix>.index`, a sorted table whose empty key holds a BundleHeaderProto and every
 * other key a tensor's BundleEntryProto, and `<prefix>.data-NNNNN-of-NNNNN` shards with the
 * tensors' bytes. Numbers are raw little-endian; a string tensor is its varint lengths,
 * a masked CRC of them, then the bytes.
 */
export class CheckpointError extends Error {}

export class TensorBundle {
  private constructor(
    private readonly prefix: string,
    private readonly entries: ReadonlyMap<string, BundleEntryProto>,
    private readonly numShards: number,
  ) {}

  /** Reads the index of the checkpoint at `prefix` (e.g. `<version>/variables/variables`). */
  static async open(prefix: string): Promise<TensorBundle> {
    const table = readSortedTable(await readRegularFile(`${prefix}.index`));
    const decoder = new TextDecoder();
    let header: BundleHeaderProto | undefined;
    const entries = new Map<string, BundleEntryProto>();
    for (const [key, value] of table) {
      if (key.length === 0) header = decodeMessage("BundleHeaderProto", value);
      else entries.set(decoder.decode(key), decodeMessage("BundleEntryProto", value));
    }
    if (!header) throw new CheckpointError(`${prefix}.index has no header entry`);
    if (header.endianness === "BIG") {
      throw new CheckpointError(`${prefix}.index was written big-endian, which is not supported`);
    }
    return new TensorBundle(prefix, entries, header.num_shards ?? 1);
  }

  get keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  #shards = new Map<number, Promise<Uint8Array>>();

  #shard(id: number): Promise<Uint8Array> {
    let shard = this.#shards.get(id);
    if (!shard) {
      const name = `${this.prefix}.data-${pad5(id)}-of-${pad5(this.numShards)}`;
      shard = readRegularFile(name).then(
        (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      );
      this.#shards.set(id, shard);
    }
    return shard;
  }

  /** The tensor saved under `key`, its checksum verified. */
  async read(key: string): Promise<HostTensor> {
    const entry = this.entries.get(key);
    if (!entry) throw new CheckpointError(`the checkpoint has no tensor "${key}"`);
    if (entry.slices && entry.slices.length > 0) {
      throw new CheckpointError(
        `"${key}" is saved in slices (a partitioned variable), which is not supported`,
      );
    }
    const dtype = checkedDataType(entry.dtype, `checkpoint tensor "${key}"`);
    const shape = shapeDims(entry.shape) ?? [];
    const offset = Number(entry.offset ?? 0);
    const size = Number(entry.size ?? 0);
    const shard = await this.#shard(entry.shard_id ?? 0);
    if (offset + size > shard.length) {
      throw new CheckpointError(`"${key}" lies past the end of its data file`);
    }
    const bytes = shard.subarray(offset, offset + size);
    if (dtype === "DT_STRING") return readStrings(key, shape, bytes, entry.crc32c ?? 0);
    if (unmaskCrc(entry.crc32c ?? 0) !== crc32cExtend(0, bytes)) {
      throw new CheckpointError(`"${key}": checksum mismatch`);
    }
    return tensorFromBytes(dtype as Exclude<DataType, "DT_STRING">, shape, bytes);
  }
}

const pad5 = (n: number): string => String(n).padStart(5, "0");

function readStrings(key: string, shape: number[], bytes: Uint8Array, stored: number): HostTensor {
  const count = numElements(shape);
  const reader = new VarintReader(bytes);
  const lengths: number[] = [];
  let crc = 0;
  const word = new Uint8Array(8);
  const view = new DataView(word.buffer);
  for (let i = 0; i < count; i++) {
    const length = reader.varint();
    lengths.push(length);
    if (length > 0xffffffff) {
      view.setBigUint64(0, BigInt(length), true);
      crc = crc32cExtend(crc, word);
    } else {
      view.setUint32(0, length, true);
      crc = crc32cExtend(crc, word.subarray(0, 4));
    }
  }
  const lengthsCrc = reader.bytes(4);
  if (
    unmaskCrc(new DataView(lengthsCrc.buffer, lengthsCrc.byteOffset).getUint32(0, true)) !== crc
  ) {
    throw new CheckpointError(`"${key}": checksum mismatch in its string lengths`);
  }
  crc = crc32cExtend(crc, lengthsCrc);
  const data = lengths.map((length) => {
    const value = reader.bytes(length);
    crc = crc32cExtend(crc, value);
    return value;
  });
  if (unmaskCrc(stored) !== crc) throw new CheckpointError(`"${key}": checksum mismatch`);
  return { dtype: "DT_STRING", shape, data };
}
