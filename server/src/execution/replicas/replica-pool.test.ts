import assert from "node:assert/strict";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { after, before, test } from "node:test";
import pino from "pino";
import { ServingError, type TensorMap } from "@servable/protocol";
import { ReplicaPool } from "./replica-pool";
import { WarmWorkers } from "./warm-workers";

const DEMO_VERSION = join(__dirname, "..", "..", "..", "demo", "models", "half_plus_two", "1");
const column = (...values: number[]): TensorMap => ({
  x: { dtype: "DT_FLOAT", shape: [values.length, 1], data: new Float32Array(values) },
});

let pool: ReplicaPool;
const workers = new WarmWorkers({ backend: "wasm" });
before(async () => {
  pool = await ReplicaPool.start(
    { dir: DEMO_VERSION, format: "tfjs", formatOptions: { savedModelTags: ["serve"] }, engine: {} },
    2,
    workers,
    pino({ level: "silent" }),
  );
});
after(async () => {
  await pool.close();
  await workers.close();
});

test("replicas answer like the model itself, with its signatures", async () => {
  assert.ok(pool.signatures.signature_def.serving_default);
  assert.equal(pool.runtime, "tfjs-wasm");
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => pool.run("serving_default", column(i, i + 1))),
  );
  answers.forEach((a, i) =>
    assert.deepEqual([...(a.y!.data as Float32Array)], [0.5 * i + 2, 0.5 * (i + 1) + 2]),
  );
});

test("a replica's own errors come back typed", async () => {
  await assert.rejects(
    pool.run("missing", column(1)),
    (e: unknown) => e instanceof ServingError && e.code === "INVALID_ARGUMENT",
  );
});

test("a replica that dies fails its requests with INTERNAL and is replaced", async () => {
  const inFlight = Array.from({ length: 50 }, () =>
    pool.run("serving_default", column(1)).then(
      () => "ok",
      (e: unknown) => e,
    ),
  );
  await pool.recycleReplica(0);
  const outcomes = await Promise.all(inFlight);
  for (const outcome of outcomes) {
    if (outcome === "ok") continue;
    assert.ok(outcome instanceof ServingError, String(outcome));
    assert.equal(outcome.code, "INTERNAL");
    assert.match(outcome.message, /Model replica 0 stopped/);
  }
  const deadline = Date.now() + 30_000;
  while (pool.readyReplicas < 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(pool.readyReplicas, 2);
  const again = await pool.run("serving_default", column(4));
  assert.deepEqual([...(again.y!.data as Float32Array)], [4]);
});

test("a load cancelled while its replicas start stops their worker threads", async () => {
  const taken: Worker[] = [];
  const spy = {
    take: async () => {
      const worker = await workers.take();
      taken.push(worker);
      return worker;
    },
  } as unknown as WarmWorkers;
  const exited = () =>
    Promise.all(taken.map((w) => new Promise((resolve) => w.once("exit", resolve))));
  const abort = new AbortController();
  const starting = ReplicaPool.start(
    { dir: DEMO_VERSION, format: "tfjs", formatOptions: { savedModelTags: [] }, engine: {} },
    2,
    spy,
    pino({ level: "silent" }),
    abort.signal,
  );
  while (taken.length < 2) await new Promise((resolve) => setImmediate(resolve));
  const allExited = exited();
  abort.abort();
  await assert.rejects(
    starting,
    (e: unknown) => e instanceof ServingError && e.code === "CANCELLED",
  );
  await allExited;
});

test(
  "a pool closed while its replicas answer waits for their unload, not for the bound",
  { timeout: 120_000 },
  async (t) => {
    const warnings: string[] = [];
    const logger = pino(
      { level: "warn" },
      { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) },
    );
    const busy = await ReplicaPool.start(
      {
        dir: DEMO_VERSION,
        format: "tfjs",
        formatOptions: { savedModelTags: ["serve"] },
        engine: {},
      },
      2,
      workers,
      logger,
    );
    const answers = Array.from({ length: 40 }, () =>
      busy.run("serving_default", column(1)).then(
        () => "answered",
        () => "refused",
      ),
    );
    await Promise.race(answers); // the replicas are answering: the others are in flight
    // The bound never passes here: close must end on the replicas' own "unloaded".
    t.mock.timers.enable({ apis: ["setTimeout"] });
    await busy.close();
    t.mock.timers.reset();
    await Promise.all(answers);
    assert.deepEqual(warnings, []);
  },
);
