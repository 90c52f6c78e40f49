import assert from "node:assert/strict";
import { test } from "node:test";
import { SlidingWindow } from "./sliding-window";

function counts(window: SlidingWindow): { requests: number; errors: number } {
  const { requests, errors } = window.summary();
  return { requests, errors };
}

test("samples leave the window as time passes (injected clock)", () => {
  let now = 0;
  const window = new SlidingWindow(60_000, () => now);
  for (let i = 0; i < 10; i++) window.record({ latencyMs: 1 });
  window.record({ error: true });
  assert.deepEqual(counts(window), { requests: 11, errors: 1 });
  now = 30_000;
  window.record({ latencyMs: 2 });
  assert.equal(window.summary().requests, 12);
  now = 65_000; // the first slice (0-5 s) is out, the one at 30 s is in
  assert.deepEqual(counts(window), { requests: 1, errors: 0 });
  now = 200_000;
  assert.deepEqual(counts(window), { requests: 0, errors: 0 });
  assert.equal(window.summary().latencyMs(0.5), undefined);
});

test("percentiles are within 5 % of the true latency", () => {
  const window = new SlidingWindow(60_000, () => 0);
  for (let i = 1; i <= 1000; i++) window.record({ latencyMs: i / 10 });
  const summary = window.summary();
  const p50 = summary.latencyMs(0.5)!;
  const p99 = summary.latencyMs(0.99)!;
  assert.ok(Math.abs(p50 - 50) / 50 <= 0.05, `p50 ${p50}`);
  assert.ok(Math.abs(p99 - 99) / 99 <= 0.05, `p99 ${p99}`);
});

test("shadow comparisons and drops are counted, the largest finite difference kept", () => {
  let now = 0;
  const window = new SlidingWindow(10_000, () => now);
  window.record({ compared: { agreed: true, maxAbsDiff: 0 }, latencyMs: 1 });
  window.record({ compared: { agreed: false, maxAbsDiff: 0.5 }, latencyMs: 1 });
  window.record({ compared: { agreed: false, maxAbsDiff: Infinity }, latencyMs: 1 });
  window.record({ dropped: true });
  now = 2000;
  const s = window.summary();
  assert.deepEqual([s.requests, s.compared, s.agreed, s.dropped, s.maxAbsDiff], [3, 3, 1, 1, 0.5]);
  assert.equal(s.perSecond, 1.5, "3 requests over the 2 s since it started");
});
