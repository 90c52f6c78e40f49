import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_GUARD } from "../../repository/rollout-record";
import { judge, parseGuardFlag } from "./rollout-guard";
import { SlidingWindow } from "./sliding-window";

function windows(stable: [ok: number, errors: number, ms: number], candidate: typeof stable) {
  const fill = ([ok, errors, ms]: typeof stable) => {
    const w = new SlidingWindow(60_000, () => 0);
    for (let i = 0; i < ok; i++) w.record({ latencyMs: ms });
    for (let i = 0; i < errors; i++) w.record({ error: true });
    return w.summary();
  };
  return {
    stableVersion: 2,
    candidateVersion: 3,
    stable: fill(stable),
    candidate: fill(candidate),
    shadow: new SlidingWindow(60_000, () => 0).summary(),
  };
}

test("the error rule fires past the allowed increase, once min_requests are in", () => {
  const guard = { ...DEFAULT_GUARD, min_requests: 20, max_error_rate_increase: 0.1 };
  assert.equal(judge(guard, windows([100, 0, 1], [10, 9, 1])), undefined, "19 requests: too few");
  const verdict = judge(guard, windows([100, 0, 1], [10, 10, 1]));
  assert.equal(verdict?.rule, "error_rate");
  assert.equal(
    verdict?.reason,
    "error_rate: candidate 3 failed 10 of 20 requests (50.0%) in the last 60 s, stable 2 0 of 100 (0.0%); allowed increase 10.0%",
  );
  assert.equal(judge(guard, windows([90, 10, 1], [18, 2, 1])), undefined, "10 % vs 10 %");
});

test("the p99 rule compares successful requests' p99 with stable's, over 100 of each", () => {
  const guard = { ...DEFAULT_GUARD, min_requests: 20, max_p99_ratio: 2 };
  assert.equal(judge(guard, windows([100, 0, 1], [100, 0, 1.9])), undefined);
  const verdict = judge(guard, windows([100, 0, 1], [120, 0, 3]));
  assert.equal(verdict?.rule, "p99");
  assert.match(
    verdict!.reason,
    /^p99: candidate 3 p99 [23]\.\d+ ms over 120 requests in the last 60 s, stable 2 1\.\d+ ms over 100/,
  );
  // Below 100 a p99 is the slowest request: min_requests alone does not let the rule judge.
  assert.equal(judge(guard, windows([99, 0, 1], [120, 0, 3])), undefined, "stable: too few");
  assert.equal(judge(guard, windows([100, 0, 1], [99, 0, 3])), undefined, "candidate: too few");
  const strict = { ...guard, min_requests: 200 };
  assert.equal(judge(strict, windows([150, 0, 1], [300, 0, 3])), undefined, "min_requests above");
});

test("--rollout_guard: none, default, or field=value pairs over the defaults", () => {
  assert.equal(parseGuardFlag(""), undefined);
  assert.deepEqual(parseGuardFlag("default"), DEFAULT_GUARD);
  assert.deepEqual(parseGuardFlag("window_seconds=30, max_p99_ratio=3"), {
    ...DEFAULT_GUARD,
    window_seconds: 30,
    max_p99_ratio: 3,
  });
  assert.throws(() => parseGuardFlag("window=30"), /Unknown guard field "window"/);
  assert.throws(() => parseGuardFlag("min_requests"), /is not field=value/);
  assert.throws(() => parseGuardFlag("min_requests=x"), /must be a number/);
});
