import { writeFile } from "node:fs/promises";
import {
  type HostTensor,
  encodeMessage,
  shapeProto,
  tensorToProto,
  crc32cExtend,
  maskCrc,
} from "@servable/protocol";
import { snappyCompress } from "./snappy";

/**
 * Writes a TensorBundle checkpoint (`<prefix>.index` and one data shard) as TensorFlow's
 * BundleWriter lays it out: the format tensor-bundle.ts reads, so SavedModels with
 * variables can be written for tests and tools. One data block, Snappy-compressed when
 * asked (TF 1.14+ writers compress; older ones do not).
 */
export async function writeTensorBundle(
  prefix: string,
  tensors: ReadonlyMap<string, HostTensor>,
  options: { snappy?: boolean } = {},
): Promise<void> {
  const encoder = new TextEncoder();
  const data: Uint8Array[] = [];
  let offset = 0;
  const entries: [Uint8Array, Uint8Array][] = [
    [
      new Uint8Array(0),
      encodeMessage("BundleHeaderProto", { num_shards: 1, version: { producer: 1 } }),
    ],
  ];
  for (const key of [...tensors.keys()].sort()) {
    const tensor = tensors.get(key)!;
    const { bytes, crc } = tensorBytes(tensor);
    entries.push([
      encoder.encode(key),
      encodeMessage("BundleEntryProto", {
        dtype: tensor.dtype,
        shape: shapeProto(tensor.shape),
        shard_id: 0,
        offset: String(offset),
        size: String(bytes.length),
        crc32c: maskCrc(crc),
      }),
    ]);
    data.push(bytes);
    offset += bytes.length;
  }
  await writeFile(`${prefix}.data-00000-of-00001`, Buffer.concat(data));
  await writeFile(`${prefix}.index`, sortedTable(entries, options.snappy ?? false));
}

function tensorBytes(tensor: HostTensor): { bytes: Uint8Array; crc: number } {
  if (tensor.dtype !== "DT_STRING") {
    const bytes = tensorToProto(tensor).tensor_content ?? new Uint8Array(0);
    return { bytes, crc: crc32cExtend(0, bytes) };
  }
  const strings = tensor.data as Uint8Array[];
  const lengths = strings.map((s) => varint(s.length));
  let crc = 0;
  const word = new Uint8Array(4);
  for (const s of strings) {
    new DataView(word.buffer).setUint32(0, s.length, true);
    crc = crc32cExtend(crc, word);
  }
  const lengthsCrc = new Uint8Array(4);
  new DataView(lengthsCrc.buffer).setUint32(0, maskCrc(crc), true);
  crc = crc32cExtend(crc, lengthsCrc);
  for (const s of strings) crc = crc32cExtend(crc, s);
  return { bytes: Buffer.concat([...lengths, lengthsCrc, ...strings]), crc };
}

function sortedTable(entries: readonly [Uint8Array, Uint8Array][], snappy: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  let position = 0;
  const addBlock = (contents: Uint8Array, compressed: boolean) => {
    const body = compressed ? snappyCompress(contents) : contents;
    const trailer = new Uint8Array(5);
    trailer[0] = compressed ? 1 : 0;
    const crc = crc32cExtend(crc32cExtend(0, body), trailer.subarray(0, 1));
    new DataView(trailer.buffer).setUint32(1, maskCrc(crc), true);
    const handle = { offset: position, size: body.length };
    parts.push(body, trailer);
    position += body.length + trailer.length;
    return handle;
  };
  const dataHandle = addBlock(block(entries), snappy);
  const metaHandle = addBlock(block([]), false);
  const lastKey = entries[entries.length - 1]![0];
  const indexHandle = addBlock(block([[lastKey, handleBytes(dataHandle)]]), false);
  const footer = new Uint8Array(48);
  footer.set([...handleBytes(metaHandle), ...handleBytes(indexHandle)]);
  const view = new DataView(footer.buffer);
  view.setUint32(40, 0x8b80fb57, true);
  view.setUint32(44, 0xdb477524, true);
  parts.push(footer);
  return Buffer.concat(parts);
}

/** A block whose every entry is a restart point (no shared key prefixes). */
function block(entries: readonly [Uint8Array, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  const restarts: number[] = [];
  let size = 0;
  for (const [key, value] of entries) {
    restarts.push(size);
    const head = Buffer.concat([varint(0), varint(key.length), varint(value.length)]);
    parts.push(head, key, value);
    size += head.length + key.length + value.length;
  }
  if (restarts.length === 0) restarts.push(0);
  const tail = new Uint8Array(4 * restarts.length + 4);
  const view = new DataView(tail.buffer);
  restarts.forEach((r, i) => view.setUint32(4 * i, r, true));
  view.setUint32(4 * restarts.length, restarts.length, true);
  return Buffer.concat([...parts, tail]);
}

function handleBytes(handle: { offset: number; size: number }): Uint8Array {
  return Buffer.concat([varint(handle.offset), varint(handle.size)]);
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}
