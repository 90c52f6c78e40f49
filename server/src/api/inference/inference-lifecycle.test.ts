import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import pino from "pino";
import {
  invalidArgument,
  notFound,
  PREDICT_METHOD,
  tensorInfo,
  type HostTensor,
  type TensorMap,
} from "@servable/protocol";
import type { LoaderHarness } from "../../core/loader-harness";
import type { Servable } from "../../core/servable";
import { ServableHandle } from "../../core/servable-handle";
import type { ModelSpec } from "../../core/server-core";
import { ServingMetrics } from "../metrics";
import { InferenceLifecycle, type InferenceCall, type InferencePlan } from "./inference-lifecycle";
import { DeadlineQueue } from "./deadline-queue";
import type { RoutedOutcome, VersionResolver } from "./version-resolver";

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 }));
afterEach(() => mock.timers.reset());

const x: HostTensor = { dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(1) };

/** One version of "m" whose runs the test settles by hand, and a count of its releases. */
function fixture() {
  const runs: { resolve(outputs: TensorMap): void; options: unknown }[] = [];
  let released = 0;
  const servable: Servable = {
    signatures: {
      signature_def: {
        serving_default: {
          inputs: { x: tensorInfo("x:0", "DT_FLOAT", [-1]) },
          outputs: { y: tensorInfo("y:0", "DT_FLOAT", [-1]) },
          method_name: PREDICT_METHOD,
        },
      },
    },
    runtime: "test",
    run: (_name, _inputs, options) =>
      new Promise((resolve) => runs.push({ resolve, options: options ?? {} })),
  };
  const harness = { id: { name: "m", version: 3 }, release: () => released++ };
  const resolve = (spec: ModelSpec) => {
    if (spec.name !== "m") throw notFound(`Servable not found for request: Latest(${spec.name})`);
    return new ServableHandle(harness as unknown as LoaderHarness, servable);
  };
  const resolver: VersionResolver = {
    resolve,
    route: (spec) => ({ handle: resolve(spec) }),
    knows: (name) => name === "m",
  };
  const metrics = new ServingMetrics();
  const lifecycle = new InferenceLifecycle(resolver, metrics, pino({ level: "silent" }));
  return { runs, released: () => released, metrics, lifecycle };
}

const predict = (
  overrides: Partial<InferenceCall<InferencePlan, string>> = {},
): InferenceCall<InferencePlan, string> => ({
  spec: { name: "m" },
  api: "predict",
  entrypoint: "REST",
  decode: (servable) => servable && { signatureName: "serving_default", inputs: { x } },
  encode: (outputs, _plan, handle) => `${handle.id.version}:${outputs.y!.data[0]}`,
  ...overrides,
});

async function requestCount(metrics: ServingMetrics, model: string, status: string) {
  const { body } = await metrics.exposition();
  const line = body
    .split("\n")
    .find(
      (l) =>
        l.startsWith(`:tensorflow:serving:request_count{model_name="${model}"`) &&
        l.includes(`status="${status}"`),
    );
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

test("resolve, decode, run, encode; the version is released once the run is done", async () => {
  const { runs, released, metrics, lifecycle } = fixture();
  const answer = lifecycle.infer(predict());
  await Promise.resolve();
  assert.equal(runs.length, 1);
  assert.equal(released(), 0, "held while running");
  runs[0]!.resolve({ y: { dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(2.5) } });
  assert.equal(await answer, "3:2.5");
  assert.equal(released(), 1);
  assert.equal(await requestCount(metrics, "m", "OK"), 1);
});

test("a body error is the answer even when the model does not exist (TF Serving's order)", async () => {
  const { lifecycle } = fixture();
  const badBody = predict({
    spec: { name: "nope" },
    decode: () => {
      throw invalidArgument("JSON Parse error: Invalid value. at offset: 0");
    },
  });
  await assert.rejects(lifecycle.infer(badBody), { code: "INVALID_ARGUMENT" });
  await assert.rejects(lifecycle.infer(predict({ spec: { name: "nope" } })), {
    code: "NOT_FOUND",
    message: "Servable not found for request: Latest(nope)",
  });
});

test("the deadline answers DEADLINE_EXCEEDED; the version stays held until the model is done", async () => {
  const { runs, released, metrics, lifecycle } = fixture();
  const deadlines = new DeadlineQueue(100, () => Date.now());
  const deadline = deadlines.start();
  const answer = lifecycle.infer(predict({ deadline }));
  await Promise.resolve();
  assert.deepEqual(runs[0]!.options, { deadline: 100, outputKeys: undefined });
  mock.timers.tick(100);
  await assert.rejects(answer, { code: "DEADLINE_EXCEEDED", message: "Deadline Exceeded" });
  assert.equal(released(), 0, "the model still runs");
  runs[0]!.resolve({ y: x });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(released(), 1);
  assert.equal(await requestCount(metrics, "m", "DEADLINE_EXCEEDED"), 1);
});

test("a deadline that passes while decoding stops the request before it runs", async () => {
  const { runs, released, lifecycle } = fixture();
  const deadline = new DeadlineQueue(50, () => Date.now()).start();
  let decoded: (plan: InferencePlan) => void = () => undefined;
  const answer = lifecycle.infer(
    predict({ deadline, decode: () => new Promise<InferencePlan>((r) => (decoded = r)) }),
  );
  mock.timers.tick(50);
  await assert.rejects(answer, { code: "DEADLINE_EXCEEDED" });
  decoded({ signatureName: "serving_default", inputs: { x } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs.length, 0, "never run");
  assert.equal(released(), 1);
});

test("metrics label only models the server knows: made-up names share one empty label", async () => {
  const { metrics, lifecycle } = fixture();
  for (const name of ["a", "b", "__proto__", "constructor"]) {
    await assert.rejects(lifecycle.infer(predict({ spec: { name } })), { code: "NOT_FOUND" });
  }
  assert.equal(await requestCount(metrics, "", "NOT_FOUND"), 4);
  assert.equal(await requestCount(metrics, "constructor", "NOT_FOUND"), 0);
});

test("a routed request tells its rollout how it went, with copies of what a shadow run needs", async () => {
  const outcomes: RoutedOutcome[] = [];
  const servable: Servable = {
    signatures: { signature_def: {} },
    runtime: "test",
    // A runner on a worker thread takes the inputs' buffers: they are empty here after.
    run: async (_name, inputs) => {
      const data = inputs.x!.data as Float32Array;
      structuredClone(data, { transfer: [data.buffer as ArrayBuffer] });
      return { y: { dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(7) } };
    },
  };
  const failing: Servable = { ...servable, run: () => Promise.reject(new Error("broken")) };
  let current = servable;
  const harness = { id: { name: "m", version: 3 }, release: () => undefined };
  const resolve = () => new ServableHandle(harness as unknown as LoaderHarness, current);
  const resolver: VersionResolver = {
    resolve,
    route: () => ({
      handle: resolve(),
      routed: { shadowed: true, finish: (outcome) => outcomes.push(outcome) },
    }),
    knows: () => true,
  };
  const lifecycle = new InferenceLifecycle(
    resolver,
    new ServingMetrics(),
    pino({ level: "silent" }),
  );
  const call = () =>
    predict({
      decode: () => ({
        signatureName: "serving_default",
        inputs: { x: { dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(5) } },
      }),
    });
  assert.equal(await lifecycle.infer(call()), "3:7");
  const [ok] = outcomes;
  assert.equal(ok!.status, "OK");
  assert.deepEqual(
    ok!.shadow!.inputs.x!.data,
    Float32Array.of(5),
    "a copy the runner did not take",
  );
  assert.deepEqual(ok!.shadow!.outputs.y!.data, Float32Array.of(7));
  assert.equal(ok!.failedWhileRunning, false);

  current = failing;
  await assert.rejects(lifecycle.infer(call()), { code: "UNKNOWN" });
  assert.equal(outcomes[1]!.failedWhileRunning, true);
  assert.equal(outcomes[1]!.shadow, undefined, "nothing to compare");

  await assert.rejects(
    lifecycle.infer(
      predict({
        decode: () => {
          throw invalidArgument("bad body");
        },
      }),
    ),
    { code: "INVALID_ARGUMENT" },
  );
  assert.deepEqual(
    [outcomes[2]!.status, outcomes[2]!.failedWhileRunning],
    ["INVALID_ARGUMENT", false],
  );
});
