import { availableParallelism } from "node:os";
import { parseServingConfig } from "@servable/protocol";

/**
 * TF Serving's BatchingParameters (session_bundle_config.proto), read from a
 * `--batching_parameters_file` in text format; fields absent from the file keep TF
 * Serving's scheduler defaults.
 */
export interface BatchingParameters {
  /** Most rows in one batch. */
  readonly maxBatchSize: number;
  /** How long the first request of a batch may wait for others (0: only while all threads are busy). */
  readonly batchTimeoutMicros: number;
  /** Batches that may wait for a thread before new requests are refused (429). */
  readonly maxEnqueuedBatches: number;
  /** Batches processed at once: one per model replica. */
  readonly numBatchThreads: number;
  /** Batch sizes a batch is padded up to (ascending; the last equals maxBatchSize). */
  readonly allowedBatchSizes: readonly number[];
  readonly padVariableLengthInputs: boolean;
}

export function defaultBatchingParameters(): BatchingParameters {
  return {
    maxBatchSize: 1000,
    batchTimeoutMicros: 0,
    maxEnqueuedBatches: 10,
    numBatchThreads: availableParallelism(),
    allowedBatchSizes: [],
    padVariableLengthInputs: false,
  };
}

/** @throws Error naming the bad field, with TF Serving's texts where it has them. */
export function parseBatchingParameters(text: string): BatchingParameters {
  const file = parseServingConfig("BatchingParameters", text) as Record<
    string,
    { value?: string | number } | (string | number)[] | boolean | undefined
  >;
  const wrapped = (name: string): number | undefined => {
    const field = file[name] as { value?: string | number } | undefined;
    return field === undefined ? undefined : Number(field.value ?? 0);
  };
  const defaults = defaultBatchingParameters();
  const params: BatchingParameters = {
    maxBatchSize: wrapped("max_batch_size") ?? defaults.maxBatchSize,
    batchTimeoutMicros: wrapped("batch_timeout_micros") ?? defaults.batchTimeoutMicros,
    maxEnqueuedBatches: wrapped("max_enqueued_batches") ?? defaults.maxEnqueuedBatches,
    numBatchThreads: wrapped("num_batch_threads") ?? defaults.numBatchThreads,
    allowedBatchSizes: ((file.allowed_batch_sizes as (string | number)[] | undefined) ?? []).map(
      Number,
    ),
    padVariableLengthInputs: file.pad_variable_length_inputs === true,
  };
  validate(params);
  return params;
}

function validate(p: BatchingParameters): void {
  const positive: [string, number][] = [
    ["max_batch_size", p.maxBatchSize],
    ["max_enqueued_batches", p.maxEnqueuedBatches],
    ["num_batch_threads", p.numBatchThreads],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`BatchingParameters.${name} must be a positive integer`);
  }
  if (p.batchTimeoutMicros < 0)
    throw new Error("BatchingParameters.batch_timeout_micros must be >= 0");
  const sizes = p.allowedBatchSizes;
  if (sizes.length === 0) return;
  for (let i = 1; i < sizes.length; i++) {
    if (sizes[i]! <= sizes[i - 1]!)
      throw new Error("allowed_batch_sizes entries must be monotonically increasing");
  }
  if (sizes[sizes.length - 1] !== p.maxBatchSize) {
    throw new Error(
      `Last entry in allowed_batch_sizes must match max_batch_size; last entry was ${sizes[sizes.length - 1]}; expected ${p.maxBatchSize}`,
    );
  }
}
