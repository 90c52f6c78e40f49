import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultBatchingParameters, parseBatchingParameters } from "./batching-parameters";

test("reads TF Serving's own example file", () => {
  const params = parseBatchingParameters(`
    max_batch_size { value: 128 }
    batch_timeout_micros { value: 0 }
    max_enqueued_batches { value: 1000000 }
    num_batch_threads { value: 8 }
  `);
  assert.equal(params.maxBatchSize, 128);
  assert.equal(params.batchTimeoutMicros, 0);
  assert.equal(params.maxEnqueuedBatches, 1000000);
  assert.equal(params.numBatchThreads, 8);
});

test("absent fields keep the scheduler's defaults; allowed sizes and padding are read", () => {
  const params = parseBatchingParameters(`
    max_batch_size { value: 8 }
    allowed_batch_sizes: 2 allowed_batch_sizes: 4 allowed_batch_sizes: 8
    pad_variable_length_inputs: true`);
  assert.deepEqual(params.allowedBatchSizes, [2, 4, 8]);
  assert.equal(params.padVariableLengthInputs, true);
  assert.equal(params.maxEnqueuedBatches, defaultBatchingParameters().maxEnqueuedBatches);
});

test("the last allowed size must be max_batch_size, as TF Serving checks", () => {
  assert.throws(
    () =>
      parseBatchingParameters(
        "max_batch_size { value: 8 } allowed_batch_sizes: 2 allowed_batch_sizes: 4",
      ),
    /Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; expected 8/,
  );
});

test("unknown fields and non-positive sizes are refused", () => {
  assert.throws(
    () => parseBatchingParameters("max_batch_sizes { value: 8 }"),
    /BatchingParameters has no field max_batch_sizes/,
  );
  assert.throws(
    () => parseBatchingParameters("num_batch_threads { value: 0 }"),
    /num_batch_threads must be a positive integer/,
  );
});
