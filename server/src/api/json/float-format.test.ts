import assert from "node:assert/strict";
import { test } from "node:test";
import { formatFloat32, formatFloat64, formatG } from "./float-format";

const f32 = Math.fround;

test("TF Serving's own cases: whole numbers get .0, %g turns exponential", () => {
  assert.equal(formatFloat32(3), "3.0");
  assert.equal(formatFloat32(9e6), "9e+06");
  assert.equal(formatFloat32(999999), "999999.0");
  assert.equal(formatFloat32(f32(3e-5)), "3e-05");
  assert.equal(formatFloat32(1e6), "1e+06");
  assert.equal(formatFloat32(100000), "100000.0");
  assert.equal(formatFloat32(f32(0.0001)), "0.0001");
  assert.equal(formatFloat32(f32(1e-7)), "1e-07");
});

test("the seed request's answers print as TF Serving prints them", () => {
  assert.deepEqual([2.5, 3, 4.5].map(formatFloat32), ["2.5", "3.0", "4.5"]);
});

test("NaN and infinities are bare tokens", () => {
  assert.equal(formatFloat32(NaN), "NaN");
  assert.equal(formatFloat32(Infinity), "Infinity");
  assert.equal(formatFloat32(-Infinity), "-Infinity");
  assert.equal(formatFloat64(NaN), "NaN");
  assert.equal(formatFloat64(-Infinity), "-Infinity");
});

test("zeros keep their sign", () => {
  assert.equal(formatFloat32(0), "0.0");
  assert.equal(formatFloat32(-0), "-0.0");
});

test("float32 values six digits cannot carry print with nine (%.9g)", () => {
  assert.equal(formatFloat32(f32(1 / 3)), "0.333333343");
  assert.equal(formatFloat32(f32(3.14159265)), "3.14159274");
  assert.equal(formatFloat32(f32(0.00012345678)), "0.000123456775");
  assert.equal(formatFloat32(f32(123456789)), "123456792.0");
  assert.equal(formatFloat32(f32(1234567)), "1234567.0");
  // api_rest.md's precision example: 1435774380 as float32.
  assert.equal(formatFloat32(f32(1435774380)), "1.43577434e+09");
});

test("float32 values that six digits carry stay short", () => {
  assert.equal(formatFloat32(f32(0.1)), "0.1");
  assert.equal(formatFloat32(f32(0.3)), "0.3");
  assert.equal(formatFloat32(f32(-12345.5)), "-12345.5");
  assert.equal(formatFloat32(65504), "65504.0");
});

test("doubles print with up to 17 digits", () => {
  assert.equal(formatFloat64(0.1), "0.1");
  assert.equal(formatFloat64(1 / 3), "0.33333333333333331");
  assert.equal(formatFloat64(3.14159265), "3.1415926500000002");
  assert.equal(formatFloat64(123456789), "123456789.0");
  assert.equal(formatFloat64(1435774380), "1435774380.0");
  assert.equal(formatFloat64(9e6), "9e+06");
});

/** TF Serving's WriteDecimal for a float, spelled out with %g and %.9g. */
function writeDecimal(value: number): string {
  let text = formatG(value, 6);
  if (f32(Number(text)) !== value) text = formatG(value, 9);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

test("every float32 of a sweep prints as WriteDecimal does, and reads back as itself", () => {
  const values = new Float32Array(20_000);
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.sin(i) * 10 ** ((i % 24) - 12);
  }
  for (const value of values) {
    const text = formatFloat32(value);
    assert.equal(text, writeDecimal(value));
    assert.equal(f32(Number(text)), value, text);
    assert.ok(/[.e]|NaN|Infinity/.test(text), `${text} looks like a float`);
  }
});

test("formatG is C's %.Ng", () => {
  assert.equal(formatG(123456, 6), "123456");
  assert.equal(formatG(1234567, 6), "1.23457e+06");
  assert.equal(formatG(0.000012345, 6), "1.2345e-05");
  assert.equal(formatG(1.5e300, 6), "1.5e+300");
  assert.equal(formatG(-2.5, 6), "-2.5");
});
