import assert from "node:assert/strict";
import { test } from "node:test";
import { ServingError } from "./serving-error";
import { maskedCrc32c } from "./crc32c";
import { decodeTfRecords, encodeTfRecords, frameTfRecord } from "./tfrecord";
import {
  decodePredictionLog,
  encodePredictionLog,
  predictionLogType,
} from "./protobuf/prediction-log";

const bytes = (text: string) => new TextEncoder().encode(text);

test("masked CRC-32C: the Castagnoli check value, masked as TensorFlow masks it", () => {
  // CRC-32C("123456789") is 0xE3069283; masked: rotated right by 15, plus 0xa282ead8.
  const crc = 0xe3069283;
  const masked = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
  assert.equal(maskedCrc32c(bytes("123456789")), masked);
});

test("a record's frame: length, masked CRC of the length, data, masked CRC of the data", () => {
  const frame = frameTfRecord(bytes("hello"));
  const view = new DataView(frame.buffer);
  assert.equal(frame.length, 8 + 4 + 5 + 4);
  assert.equal(view.getBigUint64(0, true), 5n);
  assert.equal(view.getUint32(8, true), maskedCrc32c(frame.subarray(0, 8)));
  assert.deepEqual(frame.subarray(12, 17), bytes("hello"));
  assert.equal(view.getUint32(17, true), maskedCrc32c(bytes("hello")));
});

test("records read back in order, the empty one included", () => {
  const records = [bytes("first"), new Uint8Array(0), bytes("third record")];
  const read = [...decodeTfRecords(encodeTfRecords(records), "mem")];
  assert.deepEqual(
    read.map((r) => Buffer.from(r).toString()),
    ["first", "", "third record"],
  );
});

test("a flipped data byte, a flipped length byte and a cut file name the file and the record", () => {
  const file = encodeTfRecords([bytes("one"), bytes("two")]);
  const second = 8 + 4 + 3 + 4;
  const badData = file.slice();
  badData[second + 12] ^= 1;
  assert.throws(
    () => [...decodeTfRecords(badData, "/tmp/requests")],
    (e: unknown) =>
      e instanceof ServingError &&
      e.code === "DATA_LOSS" &&
      e.message.startsWith(`corrupted record at ${second} (record 1 of /tmp/requests)`),
  );
  const badLength = file.slice();
  badLength[0] ^= 1;
  assert.throws(
    () => [...decodeTfRecords(badLength, "f")],
    /corrupted record at 0 \(record 0 of f\)/,
  );
  assert.throws(
    () => [...decodeTfRecords(file.subarray(0, file.length - 2), "f")],
    /truncated record at 19 \(record 1 of f\)/,
  );
});

test("a PredictionLog round-trips with its request type", () => {
  const log = {
    log_metadata: {
      model_spec: { name: "m", signature_name: "serving_default" },
      timestamp_secs: "7",
    },
    predict_log: {
      request: {
        model_spec: { name: "m" },
        inputs: {
          x: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: "2" }] }, float_val: [1, 2] },
        },
      },
    },
  };
  const read = decodePredictionLog(encodePredictionLog(log));
  assert.equal(predictionLogType(read), "predict_log");
  assert.deepEqual(read.predict_log?.request?.inputs?.x?.float_val, [1, 2]);
  assert.equal(read.log_metadata?.timestamp_secs, "7");
  assert.equal(predictionLogType({}), undefined);
});
