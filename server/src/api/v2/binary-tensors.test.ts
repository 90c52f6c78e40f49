import assert from "node:assert/strict";
import { test } from "node:test";
import { hostTensor, type DataType, type TensorData } from "@servable/protocol";
import { readBinaryTensor, writeBinaryTensor } from "./binary-tensors";

const utf8 = (s: string) => new TextEncoder().encode(s);

const SAMPLES: [DataType, TensorData, number[]][] = [
  ["DT_FLOAT", new Float32Array([1.5, -2, 3.25, 0]), [0x00, 0x00, 0xc0, 0x3f]],
  ["DT_DOUBLE", new Float64Array([1.5, -2, 1e300, 0]), [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]],
  ["DT_HALF", new Float32Array([1.5, -2, 65504, 0]), [0x00, 0x3e]],
  ["DT_INT8", new Int8Array([-128, 127, 0, 1]), [0x80]],
  ["DT_UINT8", new Uint8Array([255, 0, 7, 1]), [0xff]],
  ["DT_INT16", new Int16Array([-2, 300, 0, 1]), [0xfe, 0xff]],
  ["DT_UINT16", new Uint16Array([65535, 1, 2, 3]), [0xff, 0xff]],
  ["DT_INT32", new Int32Array([-1, 2 ** 31 - 1, 0, 5]), [0xff, 0xff, 0xff, 0xff]],
  ["DT_UINT32", new Uint32Array([2 ** 32 - 1, 0, 1, 2]), [0xff, 0xff, 0xff, 0xff]],
  ["DT_INT64", new BigInt64Array([-1n, 2n ** 62n, 0n, 3n]), [0xff, 0xff, 0xff, 0xff]],
  ["DT_UINT64", new BigUint64Array([2n ** 64n - 1n, 0n, 1n, 2n]), [0xff, 0xff, 0xff, 0xff]],
  ["DT_BOOL", new Uint8Array([1, 0, 0, 1]), [0x01, 0x00]],
];

for (const [dtype, data, firstBytes] of SAMPLES) {
  test(`${dtype} travels little-endian in its own size and back`, () => {
    const bytes = writeBinaryTensor(hostTensor(dtype, [2, 2], data));
    assert.deepEqual([...bytes.subarray(0, firstBytes.length)], firstBytes);
    // From an odd offset in a bigger buffer, as it sits in a request body.
    const body = new Uint8Array(bytes.length + 3);
    body.set(bytes, 3);
    assert.deepEqual(readBinaryTensor("x", dtype, [2, 2], body.subarray(3)), data);
  });
}

test("BYTES elements are a 4-byte little-endian length and their bytes", () => {
  const strings = [utf8("ab"), utf8(""), utf8("été")];
  const bytes = writeBinaryTensor(hostTensor("DT_STRING", [3], strings));
  assert.deepEqual([...bytes.subarray(0, 6)], [2, 0, 0, 0, 0x61, 0x62]);
  assert.equal(bytes.length, 4 * 3 + 2 + 0 + 5);
  assert.deepEqual(readBinaryTensor("s", "DT_STRING", [3], bytes), strings);
});

test("a size that does not match the shape is an INVALID_ARGUMENT naming the input", () => {
  assert.throws(
    () => readBinaryTensor("x", "DT_FLOAT", [2, 2], new Uint8Array(12)),
    (e: Error & { code?: string }) =>
      e.code === "INVALID_ARGUMENT" &&
      /Input 'x' has binary_data_size 12 but shape \[2,2\] of FP32 needs 16 bytes/.test(e.message),
  );
  const one = writeBinaryTensor(hostTensor("DT_STRING", [1], [utf8("abc")]));
  assert.throws(() => readBinaryTensor("s", "DT_STRING", [2], one), /needs 2/);
  assert.throws(() => readBinaryTensor("s", "DT_STRING", [1], one.subarray(0, 5)), /needs 1/);
  const extra = new Uint8Array(one.length + 2);
  extra.set(one);
  assert.throws(() => readBinaryTensor("s", "DT_STRING", [1], extra), /2 bytes .* beyond/);
  // A huge shape fails on the size, before anything is allocated.
  assert.throws(() => readBinaryTensor("s", "DT_STRING", [1e12], one), /needs 1000000000000/);
});

test("a BOOL byte other than 0 counts as true", () => {
  assert.deepEqual(
    readBinaryTensor("b", "DT_BOOL", [3], new Uint8Array([0, 2, 255])),
    new Uint8Array([0, 1, 1]),
  );
});
