import { readFile } from "node:fs/promises";
import { maskedCrc32c } from "./crc32c";
import { ServingError } from "./serving-error";

/**
 * TFRecord files, framed as TensorFlow writes them (tensorflow/core/lib/io/record_writer):
 * each record is
 *
 *     uint64 length (little-endian) | uint32 masked CRC-32C of the length bytes
 *     data (length bytes)           | uint32 masked CRC-32C of the data
 *
 * A record whose length or data does not match its CRC is corrupt, and reading stops
 * there: a file of requests is replayed or read back whole or not at all.
 */

/** Bytes of the header (length and its CRC) and of the footer (data CRC). */
const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

/** The bytes of one record as a TFRecord file holds it. */
export function frameTfRecord(data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES);
  const view = new DataView(framed.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(framed.subarray(0, 8)), true);
  framed.set(data, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + data.length, maskedCrc32c(data), true);
  return framed;
}

/** A whole TFRecord file of `records`. */
export function encodeTfRecords(records: Iterable<Uint8Array>): Uint8Array {
  const frames = Array.from(records, frameTfRecord);
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

/**
 * The records of a TFRecord file's bytes, in order.
 * @throws ServingError DATA_LOSS naming `source`, the record's number (from 0) and its
 * byte offset, with TensorFlow's "corrupted record at" / "truncated record at" words.
 */
export function* decodeTfRecords(bytes: Uint8Array, source: string): Generator<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (let index = 0; offset < bytes.length; index++) {
    const where = `at ${offset} (record ${index} of ${source})`;
    if (bytes.length - offset < HEADER_BYTES) throw dataLoss(`truncated record ${where}`);
    const lengthBytes = bytes.subarray(offset, offset + 8);
    if (maskedCrc32c(lengthBytes) !== view.getUint32(offset + 8, true)) {
      throw dataLoss(`corrupted record ${where}: the length's CRC does not match`);
    }
    const length = view.getBigUint64(offset, true);
    const start = offset + HEADER_BYTES;
    if (length > BigInt(bytes.length - start - FOOTER_BYTES)) {
      throw dataLoss(`truncated record ${where}: ${length} bytes announced`);
    }
    const end = start + Number(length);
    const data = bytes.subarray(start, end);
    if (maskedCrc32c(data) !== view.getUint32(end, true)) {
      throw dataLoss(`corrupted record ${where}: the data's CRC does not match`);
    }
    yield data;
    offset = end + FOOTER_BYTES;
  }
}

/** Every record of the TFRecord file at `path`. @throws as decodeTfRecords, or the read's error. */
export async function readTfRecordFile(path: string): Promise<Uint8Array[]> {
  return [...decodeTfRecords(await readFile(path), path)];
}

function dataLoss(message: string): ServingError {
  return new ServingError("DATA_LOSS", message, false);
}
