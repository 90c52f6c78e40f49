import assert from "node:assert/strict";
import { test } from "node:test";
import { automaticRollback, parseRollout } from "./rollout-view";

const wire = {
  name: "iris",
  stable: 2,
  candidate: 3,
  share: 0.1,
  shadow: 1,
  state: "running",
  reason: "",
  guard: null,
  updated_at: "",
  updated_by: "",
  stats: {
    window_seconds: 60,
    stable: {
      requests: 90,
      requests_per_second: 1.5,
      errors: 0,
      error_rate: 0,
      p50_ms: 1,
      p99_ms: 4,
    },
    candidate: {
      requests: 10,
      requests_per_second: 0.2,
      errors: 1,
      error_rate: 0.1,
      p50_ms: null,
      p99_ms: null,
    },
    shadow: {
      compared: 90,
      agreement: 0.99,
      errors: 0,
      dropped: 0,
      max_abs_diff: 0,
      p50_ms: 1,
      p99_ms: 2,
    },
  },
};

test("the listing's rollout, read field by field", () => {
  const info = parseRollout(wire)!;
  assert.equal(info.stable, "2");
  assert.equal(info.candidate, "3");
  assert.equal(info.share, 0.1);
  assert.equal(info.candidateStats.errorRate, 0.1);
  assert.equal(info.candidateStats.p99Ms, null);
  assert.equal(info.shadowStats.agreement, 0.99);
  assert.equal(parseRollout({ ...wire, stats: undefined })!.stableStats.requests, 0);
  assert.equal(parseRollout({ ...wire, stable: null })!.stable, null);
  for (const bad of [
    undefined,
    null,
    [],
    { ...wire, candidate: "3" },
    { ...wire, state: "paused" },
  ]) {
    assert.equal(parseRollout(bad), undefined);
  }
});

test("an automatic rollback is one the API did not ask for, of the candidate that ran", () => {
  const running = parseRollout(wire)!;
  const by = (reason: string) => parseRollout({ ...wire, state: "rolled_back", share: 0, reason })!;
  assert.ok(automaticRollback(running, by("error_rate: candidate 3 failed 5 of 10")));
  assert.ok(automaticRollback(running, by("p99: candidate 3 p99 40 ms")));
  assert.ok(!automaticRollback(running, by("manual: rolled back through the API")));
  assert.ok(!automaticRollback(undefined, by("error_rate: seen first rolled back")));
  assert.ok(!automaticRollback(by("error_rate: x"), by("error_rate: x")));
  assert.ok(
    !automaticRollback(
      running,
      parseRollout({ ...wire, candidate: 4, state: "rolled_back", reason: "p99: x" }),
    ),
  );
});
