import { allocate, type HostTensor, type TensorMap } from "@servable/protocol";

/**
 * Merging requests along the batch dimension and splitting the answers back (TF
 * Serving's BatchingSession does the same with TF tensors). Pure functions on host
 * tensors.
 */

/**
 * The key under which requests may share a batch: same inputs, dtypes and dimensions
 * after the first (only the same ranks when variable-length inputs are padded).
 * Undefined when the request cannot be batched (a scalar input, or inputs whose first
 * dimensions differ).
 */
export function batchKey(inputs: TensorMap, padVariableLength = false): string | undefined {
  let rows: number | undefined;
  const parts: string[] = [];
  for (const key of Object.keys(inputs).sort()) {
    const t = inputs[key]!;
    if (t.shape.length === 0) return undefined;
    if (rows !== undefined && t.shape[0] !== rows) return undefined;
    rows = t.shape[0];
    const inner = padVariableLength ? `rank${t.shape.length}` : t.shape.slice(1).join("x");
    parts.push(`${key}:${t.dtype}:${inner}`);
  }
  return rows === undefined ? undefined : parts.join("|");
}

/** Rows (size of the first dimension) of a batchable request. */
export function batchRows(inputs: TensorMap): number {
  // The first key, without building the array of all values (once per request).
  for (const key in inputs) return inputs[key]!.shape[0] ?? 0;
  return 0;
}

/**
 * Concatenates the requests' inputs along dimension 0, padding with copies of the first
 * row up to `paddedRows` (TF Serving pads to an allowed batch size the same way). With
 * `padVariableLength`, each input is first padded to the largest inner dimensions in the
 * batch with its own first element (TF Serving's pad_variable_length_inputs).
 */
export function mergeInputs(
  requests: readonly TensorMap[],
  paddedRows: number,
  padVariableLength = false,
): TensorMap {
  const merged: TensorMap = {};
  for (const key of Object.keys(requests[0]!)) {
    let tensors = requests.map((r) => r[key]!);
    if (padVariableLength) {
      const inner = maxInnerDims(tensors);
      tensors = tensors.map((t) => padInnerDims(t, inner));
    }
    merged[key] = concatRows(tensors, paddedRows);
  }
  return merged;
}

function maxInnerDims(tensors: readonly HostTensor[]): number[] {
  const inner = tensors[0]!.shape.slice(1);
  for (const t of tensors) t.shape.slice(1).forEach((d, i) => (inner[i] = Math.max(inner[i]!, d)));
  return inner;
}

/** `tensor` grown to [rows, ...inner], new positions holding its first element. */
function padInnerDims(tensor: HostTensor, inner: readonly number[]): HostTensor {
  const from = tensor.shape;
  if (from.slice(1).every((d, i) => d === inner[i])) return tensor;
  const to = [from[0]!, ...inner];
  const data = allocate(
    tensor.dtype,
    to.reduce((a, b) => a * b, 1),
  );
  const source = tensor.data as ArrayLike<unknown>;
  const target = data as unknown as { [i: number]: unknown; length: number };
  const fill = source[0];
  const index = new Array<number>(to.length).fill(0);
  for (let flat = 0; flat < target.length; flat++) {
    let sourceFlat = 0;
    let inside = true;
    for (let d = 0; d < to.length; d++) {
      if (index[d]! >= from[d]!) inside = false;
      sourceFlat = sourceFlat * from[d]! + index[d]!;
    }
    target[flat] = inside ? source[sourceFlat] : fill;
    for (let d = to.length - 1; d >= 0; d--) {
      if (++index[d]! < to[d]!) break;
      index[d] = 0;
    }
  }
  return { dtype: tensor.dtype, shape: to, data };
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
