import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../support/server-process";

/**
 * Models and expected answers built at test time by the Python scripts in
 * test/onnx/fixtures (Debian's python3-torch, python3-xgboost, python3-onnx), each
 * framework computing its own answers.
 */
export const PYTHON = "/usr/bin/python3";
export const FIXTURES = join(ROOT, "test", "onnx", "fixtures");
export const OCR_ASSETS = join(ROOT, "node_modules", "@gutenye", "ocr-models", "assets");

const run = promisify(execFile);

/** A script of test/onnx/fixtures, alone or with arguments before the output folder. */
export type FixtureScript = string | [string, ...string[]];

/** A fresh temporary folder with the outputs of these fixture scripts (with extra args first). */
export async function buildFixtures(scripts: FixtureScript[]): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), "servable-onnx-"));
  for (const script of scripts) {
    const [name, ...args] = Array.isArray(script) ? script : [script];
    await run(PYTHON, [join(FIXTURES, name), ...args, out], {
      cwd: FIXTURES,
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  return out;
}

export const removeFixtures = (dir: string) => rm(dir, { recursive: true, force: true });

export interface Described {
  dtype: string;
  shape: number[];
  /** Row-major values; null stands for NaN. */
  data: (number | string | boolean | null)[];
}

export interface Expected {
  inputs: Record<string, Described>;
  outputs: Record<string, Described>;
}

export async function readExpected(dir: string, name: string): Promise<Expected> {
  return JSON.parse(await readFile(join(dir, "expected", `${name}.json`), "utf8")) as Expected;
}

/**
 * JSON text for a request: null (the fixtures' NaN) written as the bare NaN TF Serving's
 * parser accepts. With `floats`, integral numbers keep a decimal point (5.0), as
 * tf.Example features need to be read as floats rather than int64s.
 */
export function requestBody(value: unknown, { floats = false } = {}): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v === null ? "__NaN__" : floats && Number.isInteger(v) ? `__${String(v)}.0__` : v,
  )
    .replace(/"__NaN__"/g, "NaN")
    .replace(/"__(-?\d+\.0)__"/g, "$1");
}

/** Row-major values as nested lists of `shape`. */
export function nest(data: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return data[0];
  const [first, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first! }, (_, i) => nest(data.slice(i * size, (i + 1) * size), rest));
}

/** A columnar ("inputs") predict body for the expected inputs. */
export function columnarBody(expected: Expected, pick?: (name: string) => boolean): string {
  const inputs = Object.fromEntries(
    Object.entries(expected.inputs)
      .filter(([name]) => !pick || pick(name))
      .map(([name, d]) => [name, nest(d.data, d.shape)]),
  );
  return requestBody({ inputs });
}

/** A row ("instances") predict body: the tensor's rows as nested lists. */
export function rowBody(tensor: Described): string {
  return requestBody({ instances: nest(tensor.data, tensor.shape) });
}

/** Rows `from` to `to` (not included) of a tensor, along its first (batch) dimension. */
export function sliceRows(tensor: Described, from: number, to: number): Described {
  const [, ...row] = tensor.shape;
  const size = row.reduce((a, b) => a * b, 1);
  return { ...tensor, shape: [to - from, ...row], data: tensor.data.slice(from * size, to * size) };
}

/** Nested lists flattened, row-major. */
export function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value];
}

/** Shape implied by nested lists. */
export function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** Each value within `tolerance` (absolute, or relative for large values) of the expected one. */
export function assertClose(
  actual: unknown,
  expected: Described,
  tolerance: number,
  label: string,
): void {
  assert.deepEqual(shapeOf(actual), expected.shape, `${label}: shape`);
  const values = flatten(actual) as number[];
  let worst = 0;
  expected.data.forEach((e, i) => {
    const a = values[i]!;
    if (e === null) {
      assert.ok(Number.isNaN(a), `${label}[${i}]: expected NaN, got ${a}`);
      return;
    }
    const diff = Math.abs(a - (e as number)) / Math.max(1, Math.abs(e as number));
    worst = Math.max(worst, diff);
    assert.ok(diff <= tolerance, `${label}[${i}]: ${a} vs ${String(e)} (tolerance ${tolerance})`);
  });
  assert.ok(worst <= tolerance, label);
}
