import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, mock, test } from "node:test";
import pino from "pino";
import { ServingError, type TensorMap } from "@servable/protocol";
import { tfjsFormat } from "../../formats/tfjs/tfjs-format";
import { initTfjsBackend } from "../tfjs/tfjs-backend";
import { loadInThread } from "../version-loader";
import type { RunOptions, Servable } from "../../core/servable";
import { defaultBatchingParameters, type BatchingParameters } from "./batching-parameters";
import { BatchingServable, type BatchRecord } from "./batching-servable";

const DEMO_VERSION = join(__dirname, "..", "..", "..", "demo", "models", "half_plus_two", "1");

const params = (overrides: Partial<BatchingParameters>): BatchingParameters => ({
  ...defaultBatchingParameters(),
  numBatchThreads: 1,
  ...overrides,
});

const column = (...values: number[]): TensorMap => ({
  x: { dtype: "DT_FLOAT", shape: [values.length, 1], data: new Float32Array(values) },
});
const values = (outputs: TensorMap, key = "y") => [...(outputs[key]!.data as Float32Array)];
/** One turn of the event loop: the batcher dispatches on setImmediate. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Wraps a servable and records every call; `gate` holds calls until released, so a
 * test can keep the batching thread busy while requests pile up.
 */
class Recording implements Servable {
  readonly calls: number[] = [];
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;
  constructor(private readonly inner: Servable) {}
  get signatures() {
    return this.inner.signatures;
  }
  readonly runtime = "recording";
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }
  release(): void {
    this.#open();
  }
  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    this.calls.push(Object.values(inputs)[0]!.shape[0]!);
    await this.#gate;
    return this.inner.run(signatureName, inputs, options);
  }
}

describe("BatchingServable on the demo model", () => {
  let model: Servable;
  before(async () => {
    await initTfjsBackend("wasm");
    model = await loadInThread(DEMO_VERSION, tfjsFormat, {
      logger: pino({ level: "silent" }),
      options: { savedModelTags: [] },
    });
  });

  test("batched answers equal unbatched answers, element for element, for mixed request sizes", async () => {
    const inner = new Recording(model);
    const batches: BatchRecord[] = [];
    const batching = new BatchingServable(inner, params({ maxBatchSize: 64 }), (b) =>
      batches.push(b),
    );
    const requests = Array.from({ length: 40 }, (_, i) =>
      column(...Array.from({ length: 1 + (i % 5) }, (_, j) => i * 10 + j + 0.25)),
    );
    inner.hold();
    const answers = Promise.all(requests.map((r) => batching.run("serving_default", r)));
    inner.release();
    const batched = await answers;
    for (const [i, request] of requests.entries()) {
      const alone = await model.run("serving_default", request);
      assert.deepEqual(values(batched[i]!), values(alone), `request ${i}`);
      assert.deepEqual(batched[i]!.y!.shape, alone.y!.shape);
    }
    assert.ok(
      batches.length < requests.length,
      `${batches.length} batches for ${requests.length} requests`,
    );
    assert.equal(
      batches.reduce((n, b) => n + b.requests, 0),
      requests.length,
    );
  });

  test("requests queued in one turn of the event loop leave as one batch", async () => {
    const inner = new Recording(model);
    const batching = new BatchingServable(inner, params({}));
    await Promise.all([1, 2, 3, 4].map((v) => batching.run("serving_default", column(v))));
    assert.deepEqual(inner.calls, [4]);
  });

  test("requests wait while every batch thread is busy, then leave together", async () => {
    const inner = new Recording(model);
    const batching = new BatchingServable(inner, params({}));
    inner.hold();
    const first = batching.run("serving_default", column(1));
    await nextTurn();
    const rest = [2, 3, 4].map((v) => batching.run("serving_default", column(v)));
    await nextTurn();
    assert.deepEqual(inner.calls, [1], "the three wait for the busy thread");
    inner.release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(inner.calls, [1, 3]);
  });

  test("batch_timeout_micros lets the first request wait for company, and no longer", async () => {
    const inner = new Recording(model);
    // Timers and the batcher's clock are mocked: the 50 ms pass when the test says so.
    mock.timers.enable({ apis: ["setTimeout", "Date"] });
    let first!: Promise<TensorMap>;
    let second!: Promise<TensorMap>;
    try {
      const batching = new BatchingServable(
        inner,
        params({ batchTimeoutMicros: 50_000 }),
        undefined,
        () => Date.now(),
      );
      first = batching.run("serving_default", column(1));
      await nextTurn();
      mock.timers.tick(49);
      second = batching.run("serving_default", column(2));
      await nextTurn();
      assert.deepEqual(inner.calls, [], "the batch waits its full timeout");
      mock.timers.tick(1);
      assert.deepEqual(inner.calls, [2], "at 50 ms it leaves, with both requests");
    } finally {
      mock.timers.reset();
    }
    assert.deepEqual(values(await first), [2.5]);
    assert.deepEqual(values(await second), [3]);
    assert.deepEqual(inner.calls, [2]);
  });

  test("allowed batch sizes pad the batch; the padding never reaches an answer", async () => {
    const inner = new Recording(model);
    const batches: BatchRecord[] = [];
    const batching = new BatchingServable(
      inner,
      params({ maxBatchSize: 8, allowedBatchSizes: [4, 8] }),
      (b) => batches.push(b),
    );
    const answers = await Promise.all([
      batching.run("serving_default", column(1, 2)),
      batching.run("serving_default", column(3)),
    ]);
    assert.deepEqual(
      answers.map((a) => values(a)),
      [[2.5, 3], [3.5]],
    );
    assert.deepEqual(inner.calls, [4]);
    assert.deepEqual(
      batches.map((b) => [b.rows, b.paddedRows]),
      [[3, 4]],
    );
  });

  test("a full queue refuses with RESOURCE_EXHAUSTED and loses no accepted request", async () => {
    const inner = new Recording(model);
    const batching = new BatchingServable(
      inner,
      params({ maxBatchSize: 2, maxEnqueuedBatches: 1 }),
    );
    inner.hold();
    const results = Array.from({ length: 8 }, (_, i) =>
      batching.run("serving_default", column(i)).then(
        (out) => ({ i, out }),
        (error: unknown) => ({ i, error }),
      ),
    );
    inner.release();
    const settled = await Promise.all(results);
    const refused = settled.filter((s) => "error" in s);
    const answered = settled.filter((s) => "out" in s) as { i: number; out: TensorMap }[];
    assert.ok(refused.length > 0, "some requests are refused");
    for (const r of refused) {
      assert.ok((r as { error: unknown }).error instanceof ServingError);
      assert.equal((r as { error: ServingError }).error.code, "RESOURCE_EXHAUSTED");
    }
    for (const { i, out } of answered) assert.deepEqual(values(out), [0.5 * i + 2]);
    assert.equal(refused.length + answered.length, 8);
  });

  test("requests that cannot merge run alone, and a failing batch fails each of its requests", async () => {
    const inner = new Recording(model);
    const batching = new BatchingServable(inner, params({ maxBatchSize: 4 }));
    const tooBig = await batching.run("serving_default", column(1, 2, 3, 4, 5));
    assert.deepEqual(values(tooBig), [2.5, 3, 3.5, 4, 4.5]);
    const scalar = await batching.run("serving_default", {
      x: { dtype: "DT_FLOAT", shape: [], data: new Float32Array([2]) },
    });
    assert.deepEqual(values(scalar), [3]);
    await assert.rejects(
      batching.run("no_such_signature", column(1)),
      /not found in signature def/,
    );
  });
});
