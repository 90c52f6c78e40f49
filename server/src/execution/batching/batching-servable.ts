import {
  deadlineExceeded,
  resourceExhausted,
  toServingError,
  type TensorMap,
} from "@servable/protocol";
import type { RunOptions, Servable } from "../../core/servable";
import type { BatchingParameters } from "./batching-parameters";
import { batchKey, batchRows, mergeInputs, paddedBatchSize, splitOutputs } from "./tensor-batching";

/** What one processed batch looked like, for metrics. */
export interface BatchRecord {
  readonly signatureName: string;
  /** Rows of real requests in the batch. */
  readonly rows: number;
  /** Rows after padding to an allowed batch size. */
  readonly paddedRows: number;
  readonly requests: number;
  /** How long each request waited in the queue, microseconds. */
  readonly queueMicros: readonly number[];
}

interface Task {
  readonly inputs: TensorMap;
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly deadline: number | undefined;
  readonly outputKeys: readonly string[] | undefined;
  resolve(outputs: TensorMap): void;
  reject(error: unknown): void;
}

interface Batch {
  readonly queue: string;
  readonly signatureName: string;
  readonly tasks: Task[];
  rows: number;
  readonly openedAt: number;
}

/**
 * Dynamic batching in front of a servable (TF Serving's BatchingSession over a
 * SharedBatchScheduler): concurrent requests to the same signature with the same input
 * dtypes and dimensions are merged along the first dimension, run once, and split back.
 *
 * A batch leaves the queue when one of `numBatchThreads` is free and it is full, or its
 * first request has waited `batchTimeoutMicros` (at 0, as soon as a thread is free: under
 * load, requests pile up while every thread is busy). At most `maxEnqueuedBatches`
 * batches wait; a request that would need another is refused (RESOURCE_EXHAUSTED, 429).
 * Requests that cannot merge (scalars, mismatched first dimensions, more rows than a
 * batch holds) run alone.
 */
export class BatchingServable implements Servable {
  readonly #open = new Map<string, Batch>();
  readonly #waiting: Batch[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #dispatchScheduled = false;

  /**
   * `now` is the clock batch timeouts are measured on (milliseconds; tests may pass a
   * mocked one): request deadlines are `performance.now()` times, as RunOptions says.
   */
  constructor(
    private readonly inner: Servable,
    private readonly params: BatchingParameters,
    private readonly onBatch?: (record: BatchRecord) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get signatures() {
    return this.inner.signatures;
  }
  get classLabels() {
    return this.inner.classLabels;
  }
  get engineReason() {
    return this.inner.engineReason;
  }

  get runtime() {
    return this.inner.runtime;
  }
  get parsesExamples() {
    return this.inner.parsesExamples;
  }

  run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const key = batchKey(inputs, this.params.padVariableLengthInputs);
    const rows = batchRows(inputs);
    if (key === undefined || rows === 0 || rows > this.params.maxBatchSize) {
      return this.inner.run(signatureName, inputs, options);
    }
    return new Promise((resolve, reject) => {
      const task: Task = {
        inputs,
        rows,
        enqueuedAt: this.now(),
        deadline: options?.deadline,
        outputKeys: options?.outputKeys,
        resolve,
        reject,
      };
      this.#enqueue(`${signatureName}\u0000${key}`, signatureName, task);
      this.#scheduleDispatch();
    });
  }

  /**
   * Dispatches after the requests read in this turn of the event loop are queued: in
   * Node they arrive together in one I/O phase, and should leave in one batch.
   */
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #enqueue(queue: string, signatureName: string, task: Task): void {
    let batch = this.#open.get(queue);
    if (batch && batch.rows + task.rows > this.params.maxBatchSize) {
      this.#open.delete(queue);
      batch = undefined;
    }
    if (!batch) {
      if (this.#waiting.length >= this.params.maxEnqueuedBatches) {
        throw resourceExhausted(
          "The batch scheduling queue to which this task was submitted is full",
        );
      }
      batch = { queue, signatureName, tasks: [], rows: 0, openedAt: task.enqueuedAt };
      this.#open.set(queue, batch);
      this.#waiting.push(batch);
    }
    batch.tasks.push(task);
    batch.rows += task.rows;
    if (batch.rows >= this.params.maxBatchSize) this.#open.delete(queue);
  }

  /** Starts every batch that may start now, and sets a timer for the next one that will. */
  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const timeoutMs = this.params.batchTimeoutMicros / 1000;
    while (this.#inFlight < this.params.numBatchThreads && this.#waiting.length > 0) {
      const now = this.now();
      const index = this.#waiting.findIndex(
        (b) => b.rows >= this.params.maxBatchSize || now - b.openedAt >= timeoutMs,
      );
      if (index < 0) break;
      const [batch] = this.#waiting.splice(index, 1);
      if (this.#open.get(batch!.queue) === batch) this.#open.delete(batch!.queue);
      void this.#process(batch!);
    }
    if (this.#inFlight < this.params.numBatchThreads && this.#waiting.length > 0) {
      const next = Math.min(...this.#waiting.map((b) => b.openedAt + timeoutMs));
      this.#timer = setTimeout(() => this.#dispatch(), Math.max(0, next - this.now()));
    }
  }

  async #process(batch: Batch): Promise<void> {
    this.#inFlight++;
    const now = performance.now();
    const tasks: Task[] = [];
    for (const task of batch.tasks) {
      if (task.deadline !== undefined && task.deadline <= now) {
        task.reject(deadlineExceeded("Deadline Exceeded"));
      } else {
        tasks.push(task);
      }
    }
    try {
      if (tasks.length === 0) return;
      const rows = tasks.reduce((n, t) => n + t.rows, 0);
      const paddedRows = paddedBatchSize(rows, this.params.allowedBatchSizes);
      const started = this.now();
      this.onBatch?.({
        signatureName: batch.signatureName,
        rows,
        paddedRows,
        requests: tasks.length,
        queueMicros: tasks.map((t) => (started - t.enqueuedAt) * 1000),
      });
      const inputs =
        tasks.length === 1 && paddedRows === rows
          ? tasks[0]!.inputs
          : mergeInputs(
              tasks.map((t) => t.inputs),
              paddedRows,
              this.params.padVariableLengthInputs,
            );
      const outputs = await this.inner.run(batch.signatureName, inputs);
      const answers =
        tasks.length === 1 && paddedRows === rows
          ? [outputs]
          : splitOutputs(
              outputs,
              tasks.map((t) => t.rows),
              paddedRows,
            );
      tasks.forEach((t, i) => t.resolve(pick(answers[i]!, t.outputKeys)));
    } catch (error) {
      const failure = toServingError(error);
      for (const t of tasks) t.reject(failure);
    } finally {
      this.#inFlight--;
      this.#dispatch();
    }
  }
}

/** The outputs a request asked for (a batch computes all of them). */
function pick(outputs: TensorMap, keys: readonly string[] | undefined): TensorMap {
  if (!keys) return outputs;
  return Object.fromEntries(keys.map((k) => [k, outputs[k]!]));
}
