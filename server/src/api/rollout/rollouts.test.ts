import assert from "node:assert/strict";
import { test } from "node:test";
import pino from "pino";
import { Registry } from "prom-client";
import { notFound, type HostTensor } from "@servable/protocol";
import type { LoaderHarness } from "../../core/loader-harness";
import type { Servable } from "../../core/servable";
import { ServableHandle } from "../../core/servable-handle";
import { DEFAULT_GUARD, type RolloutRecord } from "../../repository/rollout-record";
import { MemoryRolloutState, type RolloutState } from "../../repository/rollout-state";
import type { RoutedOutcome } from "../inference/version-resolver";
import { Rollouts, type RolloutCore } from "./rollouts";

/**
 * The rollouts of one server over a core whose versions answer y = x + version: the split,
 * the windows and the guard under an injected clock and coin, shadow runs started by hand.
 */
const x = (v: number): HostTensor => ({ dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(v) });

function failing(): Servable {
  return {
    signatures: { signature_def: {} },
    runtime: "test",
    run: () => Promise.reject(new Error("broken")),
  };
}

function linear(version: number): Servable {
  return {
    signatures: { signature_def: {} },
    runtime: "test",
    run: async (_name, inputs) => ({ y: x((inputs.x!.data[0] as number) + version) }),
  };
}

interface Fixture {
  rollouts: Rollouts;
  state: RolloutState;
  registry: Registry;
  clock: { now: number };
  coin: number[];
  shadows: (() => void)[];
  available: Map<number, Servable>;
}

function fixture(
  options: { state?: RolloutState; stable?: number; available?: Map<number, Servable> } = {},
): Fixture {
  const clock = { now: 0 };
  const coin: number[] = [];
  const shadows: (() => void)[] = [];
  const available = options.available ?? new Map([2, 3].map((v) => [v, linear(v)]));
  const stable = options.stable ?? 2;
  const core: RolloutCore = {
    labelVersion: (_name, label) => (label === "stable" ? stable : undefined),
    getServableHandle: ({ name, version }) => {
      const found = available.get(version!);
      if (!found) throw notFound(`Servable not found for request: Specific(${name}, ${version})`);
      const harness = { id: { name, version }, release: () => undefined };
      return new ServableHandle(harness as unknown as LoaderHarness, found);
    },
    refreshLabels: async () => undefined,
  };
  const state = options.state ?? new MemoryRolloutState();
  const registry = new Registry();
  const rollouts = new Rollouts({
    core,
    state,
    defaultGuard: undefined,
    registry,
    logger: pino({ level: "silent" }),
    identity: "test",
    now: () => clock.now,
    wallClock: () => new Date(Date.UTC(2026, 11, 2) + clock.now),
    random: () => coin.shift() ?? 0.99,
    maxShadowInFlight: 2,
    shadowLater: (run) => shadows.push(run),
  });
  return { rollouts, state, registry, clock, coin, shadows, available };
}

const running = (fields: Partial<RolloutRecord> = {}) => ({
  candidate: 3,
  share: 0.5,
  shadow: 0,
  state: "running" as const,
  reason: "",
  ...fields,
});

const ok = (latencyMs = 1): RoutedOutcome => ({
  status: "OK",
  latencyMs,
  failedWhileRunning: false,
});

/** Routes one unversioned request and ends it with `outcome`; the version that answered. */
function request(f: Fixture, outcome: RoutedOutcome = ok(), key?: string): number {
  const resolution = f.rollouts.route("iris", key)!;
  resolution.routed!.finish(outcome);
  resolution.handle.release();
  return resolution.handle.id.version;
}

test("a model without a rollout, or without a stable label, is not routed here", async () => {
  assert.equal(fixture().rollouts.route("iris", undefined), undefined);
  const noStable = fixture({ stable: -1 });
  await noStable.rollouts.write("iris", running());
  // stable -1 is not available: the core's own error, not the latest
  assert.throws(() => noStable.rollouts.route("iris", undefined), { code: "NOT_FOUND" });
});

test("the split follows the coin; a rolled-back or unloaded candidate gets nothing", async () => {
  const f = fixture();
  await f.rollouts.write("iris", running({ share: 0.5 }));
  f.coin.push(0.2, 0.7, 0.49, 0.5);
  assert.deepEqual([request(f), request(f), request(f), request(f)], [3, 2, 3, 2]);
  assert.equal(f.rollouts.stableOf("iris"), 2);

  f.available.delete(3);
  f.coin.push(0.1);
  assert.equal(request(f), 2, "the candidate is not loaded here: stable answers");

  f.available.set(3, linear(3));
  await f.rollouts.rollBack("iris", "manual: test", "manual");
  f.coin.push(0, 0, 0);
  assert.deepEqual([request(f), request(f), request(f)], [2, 2, 2]);
  const view = f.rollouts.view("iris")!;
  assert.equal(view.state, "rolled_back");
  assert.equal(view.reason, "manual: test");
  assert.equal(view.share, 0);
});

test("the stats count routed requests, not the client's own errors", async () => {
  const f = fixture();
  await f.rollouts.write("iris", running({ share: 0 }));
  request(f, ok(2));
  request(f, { status: "INVALID_ARGUMENT", latencyMs: 1, failedWhileRunning: false });
  request(f, { status: "INVALID_ARGUMENT", latencyMs: 1, failedWhileRunning: true });
  request(f, { status: "INTERNAL", latencyMs: 1, failedWhileRunning: false });
  const stats = f.rollouts.view("iris")!.stats;
  assert.deepEqual(
    [stats.stable.requests, stats.stable.errors, stats.stable.error_rate],
    [3, 2, 0.6667],
  );
  assert.ok(Math.abs(stats.stable.p50_ms! - 2) <= 0.1);
  assert.equal(stats.candidate.requests, 0);
  assert.equal(stats.candidate.p50_ms, null);
});

test("the guard rolls back a failing candidate at once, and every request after goes to stable", async () => {
  const f = fixture();
  const guard = { ...DEFAULT_GUARD, min_requests: 10, max_error_rate_increase: 0.1 };
  await f.rollouts.write("iris", running({ share: 0.5, guard }));
  const fail: RoutedOutcome = { status: "INTERNAL", latencyMs: 1, failedWhileRunning: true };
  let candidateRequests = 0;
  for (let i = 0; f.rollouts.record("iris")!.state === "running" && i < 100; i++) {
    f.coin.push(i % 2 === 0 ? 0.1 : 0.9); // candidate, stable, candidate, ...
    f.clock.now += 10;
    const candidate = f.rollouts.route("iris", undefined)!;
    const version = candidate.handle.id.version;
    if (version === 3) candidateRequests++;
    // The candidate fails on half of its requests.
    candidate.routed!.finish(version === 3 && candidateRequests % 2 === 0 ? fail : ok());
  }
  assert.equal(candidateRequests, 10, "judged as soon as min_requests were in");
  const record = f.rollouts.record("iris")!;
  assert.equal(record.state, "rolled_back");
  assert.equal(record.share, 0);
  assert.match(record.reason, /^error_rate: candidate 3 failed 5 of 10 requests \(50\.0%\)/);
  f.coin.push(0, 0, 0, 0);
  assert.deepEqual([request(f), request(f), request(f), request(f)], [2, 2, 2, 2]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(f.state.current().get("iris")!.state, "rolled_back", "written to the state");
  const metrics = await f.registry.metrics();
  assert.match(metrics, /:servable:rollout:rollbacks\{model_name="iris",reason="error_rate"\} 1/);
});

test("a success that brings the candidate to min_requests is judged, with no request after it", async () => {
  const f = fixture();
  const guard = { ...DEFAULT_GUARD, min_requests: 10, max_error_rate_increase: 0.2 };
  await f.rollouts.write("iris", running({ share: 1, guard }));
  const fail: RoutedOutcome = { status: "INTERNAL", latencyMs: 1, failedWhileRunning: true };
  // Three failures, then successes a millisecond apart: the rule (3 of 10 > 20 %) first holds
  // on the tenth request, a success, and no request follows it.
  for (let i = 0; i < 10; i++) {
    f.clock.now += 1;
    request(f, i < 3 ? fail : ok());
    assert.equal(
      f.rollouts.record("iris")!.state,
      i < 9 ? "running" : "rolled_back",
      `after ${i + 1}`,
    );
  }
  assert.match(f.rollouts.record("iris")!.reason, /failed 3 of 10 requests/);
});

test("errors leave the window as time passes (injected clock): an old failure no longer counts", async () => {
  const f = fixture();
  const guard = { ...DEFAULT_GUARD, window_seconds: 60, min_requests: 4 };
  await f.rollouts.write("iris", running({ share: 1, guard }));
  const fail: RoutedOutcome = { status: "UNAVAILABLE", latencyMs: 1, failedWhileRunning: false };
  request(f, fail);
  f.clock.now = 70_000;
  for (let i = 0; i < 10; i++) request(f, ok());
  assert.equal(f.rollouts.record("iris")!.state, "running");
  assert.equal(f.rollouts.view("iris")!.stats.candidate.errors, 0);
});

test("two servers reaching the same verdict write one rollback", async () => {
  const state = new MemoryRolloutState();
  const a = fixture({ state });
  const b = fixture({ state });
  const guard = { ...DEFAULT_GUARD, min_requests: 2 };
  await a.rollouts.write("iris", running({ share: 1, guard }));
  const fail: RoutedOutcome = { status: "INTERNAL", latencyMs: 1, failedWhileRunning: false };
  const ra = a.rollouts.route("iris", undefined)!;
  const rb = b.rollouts.route("iris", undefined)!;
  const ra2 = a.rollouts.route("iris", undefined)!;
  const rb2 = b.rollouts.route("iris", undefined)!;
  for (const r of [ra, rb, ra2, rb2]) r.routed!.finish(fail);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(state.current().get("iris")!.state, "rolled_back");
  const count = async (f: Fixture) =>
    /reason="error_rate"\} 1/.test(await f.registry.metrics()) ? 1 : 0;
  assert.equal((await count(a)) + (await count(b)), 1);
});

test("a new run after a rollback starts its window afresh", async () => {
  const f = fixture();
  await f.rollouts.write("iris", running({ share: 1 }));
  request(f, { status: "INTERNAL", latencyMs: 1, failedWhileRunning: false });
  await f.rollouts.rollBack("iris", "manual: test", "manual");
  assert.equal(f.rollouts.view("iris")!.stats.candidate.errors, 1, "kept while rolled back");
  f.clock.now += 1;
  await f.rollouts.write("iris", running({ share: 1 }));
  assert.equal(f.rollouts.view("iris")!.stats.candidate.errors, 0);
  request(f, { status: "INTERNAL", latencyMs: 1, failedWhileRunning: false });
  f.clock.now += 1;
  await f.rollouts.write("iris", running({ share: 0.5 }));
  assert.equal(
    f.rollouts.view("iris")!.stats.candidate.errors,
    1,
    "a new share goes on with the run",
  );
});

test("shadow runs compare the candidate with stable after the answer; beyond the bound they are dropped", async () => {
  const f = fixture();
  await f.rollouts.write("iris", running({ share: 0, shadow: 1 }));
  const shadowed = (input: number) => {
    f.coin.push(0); // the shadow coin
    const resolution = f.rollouts.route("iris", undefined)!;
    assert.equal(resolution.routed!.shadowed, true);
    resolution.routed!.finish({
      ...ok(),
      shadow: {
        classify: false,
        signatureName: "serving_default",
        inputs: { x: x(input) },
        outputs: { y: x(input + 2) },
      },
    });
  };
  shadowed(1);
  shadowed(2);
  shadowed(3); // two are waiting to start: this one is dropped
  assert.equal(f.shadows.length, 2, "nothing runs before the answer is written");
  f.shadows.splice(0).forEach((run) => run());
  await new Promise((resolve) => setImmediate(resolve));
  let view = f.rollouts.view("iris")!;
  // stable answers x + 2, the candidate x + 3: they disagree by 1.
  assert.deepEqual(
    [view.stats.shadow.compared, view.stats.shadow.agreement, view.stats.shadow.dropped],
    [2, 0, 1],
  );
  assert.equal(view.stats.shadow.max_abs_diff, 1);

  f.available.set(3, failing());
  shadowed(1);
  f.shadows.splice(0).forEach((run) => run());
  await new Promise((resolve) => setImmediate(resolve));
  view = f.rollouts.view("iris")!;
  assert.equal(view.stats.shadow.errors, 1);
  const metrics = await f.registry.metrics();
  for (const [result, n] of [
    ["disagree", 2],
    ["dropped", 1],
    ["error", 1],
  ] as const) {
    assert.match(
      metrics,
      new RegExp(`shadow_comparisons\\{model_name="iris",result="${result}"\\} ${n}`),
    );
  }
  assert.match(metrics, /:servable:rollout:shadow_share\{model_name="iris"\} 1/);
});
