/**
 * What the rollout guard costs a request (never part of CI):
 *   `node --import tsx bench/guard-judgment.ts`
 *
 * Under a rollout with guard rails, every routed request's outcome is judged: the three
 * windows (stable, candidate, shadow) summed over their slices, then the rules. Here the
 * windows hold a minute of traffic in every slice (one request in ten on the candidate,
 * latencies 0.2 to 5 ms), so the p99 rule is live on every judgment. The baseline, timed
 * in the same run, is the three summaries alone (the error rule's inputs).
 *
 * Environment: BENCH_JUDGMENTS (default 200000).
 */
import { DEFAULT_GUARD } from "../server/src/repository/rollout-record";
import { judge } from "../server/src/api/rollout/rollout-guard";
import { SlidingWindow } from "../server/src/api/rollout/sliding-window";

const JUDGMENTS = Number(process.env.BENCH_JUDGMENTS ?? 200_000);
const ROUNDS = 5;

let now = 0;
const windowOf = () => new SlidingWindow(60_000, () => now);
const stable = windowOf();
const candidate = windowOf();
const shadow = windowOf();
for (let ms = 0; ms < 60_000; ms++) {
  now = ms;
  (ms % 10 === 0 ? candidate : stable).record({ latencyMs: 0.2 + (ms % 97) / 20 });
}

/** Microseconds per call of `body`, the best of ROUNDS runs (the least disturbed). */
function microseconds(body: () => unknown): number {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < JUDGMENTS; i++) body();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / JUDGMENTS / 1000);
  }
  return best;
}

const summaries = microseconds(() => [stable.summary(), candidate.summary(), shadow.summary()]);
const judgment = microseconds(() =>
  judge(DEFAULT_GUARD, {
    stableVersion: 1,
    candidateVersion: 2,
    stable: stable.summary(),
    candidate: candidate.summary(),
    shadow: shadow.summary(),
  }),
);
console.log(`three window summaries (baseline): ${summaries.toFixed(2)} µs`);
console.log(
  `a judgment, p99 rule live:         ${judgment.toFixed(2)} µs (${(judgment / summaries).toFixed(1)}x the baseline)`,
);
