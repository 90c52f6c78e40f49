import { allocate } from "../servable/data-type";
import type { HostTensor, TensorMap } from "../servable/tensor";

/**
 * Merging requests along the batch dimension and splitting the answers back (TF
 * Serving's BatchingSession does the same with TF tensors). Pure functions on host
 * tensors.
 */

/**
 * The key under which requests may share a batch: same inputs, dtypes and dimensions
 * after the first. Undefined when the request cannot be batched (a scalar input, or
 * inputs whose first dimensions differ).
 */
export function batchKey(inputs: TensorMap): string | undefined {
  let rows: number | undefined;
  const parts: string[] = [];
  for (const key of Object.keys(inputs).sort()) {
    const t = inputs[key]!;
    if (t.shape.length === 0) return undefined;
    if (rows !== undefined && t.shape[0] !== rows) return undefined;
    rows = t.shape[0];
    parts.push(`${key}:${t.dtype}:${t.shape.slice(1).join("x")}`);
  }
  return rows === undefined ? undefined : parts.join("|");
}

/** Rows (size of the first dimension) of a batchable request. */
export function batchRows(inputs: TensorMap): number {
  const first = Object.values(inputs)[0];
  return first?.shape[0] ?? 0;
}

/**
 * Concatenates the requests' inputs along dimension 0, padding with copies of the first
 * row up to `paddedRows` (TF Serving pads to an allowed batch size the same way).
 */
export function mergeInputs(requests: readonly TensorMap[], paddedRows: number): TensorMap {
  const merged: TensorMap = {};
  for (const key of Object.keys(requests[0]!)) {
    merged[key] = concatRows(
      requests.map((r) => r[key]!),
      paddedRows,
    );
  }
  return merged;
}

function concatRows(tensors: readonly HostTensor[], paddedRows: number): HostTensor {
  const first = tensors[0]!;
  const rowSize = first.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = allocate(first.dtype, paddedRows * rowSize);
  let offset = 0;
  for (const t of tensors) {
    copyInto(data, t.data, offset);
    offset += t.data.length;
  }
  for (; offset < data.length; offset += rowSize) {
    copyInto(data, sliceData(first.data, 0, rowSize), offset);
  }
  return { dtype: first.dtype, shape: [paddedRows, ...first.shape.slice(1)], data };
}

/**
 * The answer of each request: rows [start, start + rows) of every output. An output
 * without the batch's rows in its first dimension cannot be split, and fails the batch.
 */
export function splitOutputs(
  outputs: TensorMap,
  rowsPerRequest: readonly number[],
  paddedRows: number,
): TensorMap[] {
  for (const [key, t] of Object.entries(outputs)) {
    if (t.shape[0] !== paddedRows) {
      throw new Error(
        `Batched output tensor ${key} has 0th dimension ${t.shape[0] ?? "none"} but the batch has ${paddedRows} rows`,
      );
    }
  }
  const answers: TensorMap[] = [];
  let start = 0;
  for (const rows of rowsPerRequest) {
    const answer: TensorMap = {};
    for (const [key, t] of Object.entries(outputs)) {
      const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
      answer[key] = {
        dtype: t.dtype,
        shape: [rows, ...t.shape.slice(1)],
        data: sliceData(t.data, start * rowSize, (start + rows) * rowSize),
      };
    }
    answers.push(answer);
    start += rows;
  }
  return answers;
}

/** The smallest allowed batch size holding `rows` (or `rows` when none are set). */
export function paddedBatchSize(rows: number, allowed: readonly number[]): number {
  for (const size of allowed) if (size >= rows) return size;
  return rows;
}

function copyInto(target: HostTensor["data"], source: HostTensor["data"], offset: number): void {
  if (Array.isArray(target)) {
    const strings = source as Uint8Array[];
    for (let i = 0; i < strings.length; i++) target[offset + i] = strings[i]!;
  } else {
    (target as Float32Array).set(source as Float32Array, offset);
  }
}

function sliceData(data: HostTensor["data"], start: number, end: number): HostTensor["data"] {
  return Array.isArray(data) ? data.slice(start, end) : (data as Float32Array).subarray(start, end);
}
