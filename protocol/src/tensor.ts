import type { DataType, HostArrayByType, TensorData } from "./data-type";

/**
 * A tensor on the host: the currency between the APIs, the batcher and the runtimes.
 * Row-major data in a typed array (or byte strings), so it can cross a worker boundary
 * without copying and be merged along the batch dimension with one `set`.
 */
export interface HostTensor<T extends DataType = DataType> {
  readonly dtype: T;
  readonly shape: readonly number[];
  readonly data: HostArrayByType[T];
}

/** Tensors keyed by a signature's logical input or output keys. */
export type TensorMap = Record<string, HostTensor>;

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function hostTensor<T extends DataType>(
  dtype: T,
  shape: readonly number[],
  data: HostArrayByType[T],
): HostTensor<T> {
  const expected = numElements(shape);
  if (data.length !== expected) {
    throw new RangeError(
      `tensor of shape [${shape.join(",")}] needs ${expected} values, got ${data.length}`,
    );
  }
  return { dtype, shape, data };
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

export type { DataType, TensorData };
