import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHalfBits, toHalfBits } from "./float16";

test("float32 to half bits: exact values, rounding to nearest even, overflow, underflow", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to infinity
    [1e6, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // underflows
    [1 + 2 ** -11, 0x3c00], // a tie rounds to the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ];
  const bits = toHalfBits(Float32Array.from(cases.map(([v]) => v)));
  cases.forEach(([value, expected], i) =>
    assert.equal(bits[i], expected, `${value} -> 0x${bits[i]!.toString(16)}`),
  );
  assert.equal(toHalfBits(Float32Array.of(NaN))[0]! & 0x7c00, 0x7c00);
});

test("half bits to float32 and back are the identity on every finite half", () => {
  const all = new Uint16Array(0x10000).map((_, i) => i);
  const values = fromHalfBits(all);
  const back = toHalfBits(values);
  for (let i = 0; i < all.length; i++) {
    if (Number.isNaN(values[i]!)) continue;
    assert.equal(back[i], all[i], `0x${i.toString(16)}`);
  }
  assert.equal(values[0x3555], 0.333251953125);
});
