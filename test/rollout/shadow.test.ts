import assert from "node:assert/strict";
import { test } from "node:test";
import type { RolloutView } from "@servable/protocol";
import { call, serverInScratchFolder, waitFor } from "../support";
import {
  affineVersion,
  metricValue,
  oneRowVersion,
  predictRows,
  repositoryWith,
  rolloutView,
  startRolloutServer,
} from "./rollout-support";

/**
 * Shadow traffic through a real server, every stable request shadowed (shadow 1, share 0):
 *   "same": the candidate is stable's twin -> agreement 100 %;
 *   "diff": stable y = 0.5x + 2, candidate y = x, which agree at x = 4 only -> of 30 requests
 *           at x = 4 and 70 elsewhere, exactly 30 agree;
 *   "broken": the candidate fails on requests of two rows -> its shadow runs fail, its guard
 *           rolls it back, and no client sees an error.
 * Clients always get stable's answer.
 */
const token = "shadow-token";

const server = serverInScratchFolder("servable-rollout-shadow-", async (scratch) => {
  const stable = (dir: string) => affineVersion(dir, 0.5, 2);
  await repositoryWith(scratch, "same", { 1: stable, 2: stable }, 1);
  await repositoryWith(scratch, "diff", { 1: stable, 2: (dir) => affineVersion(dir, 1, 0) }, 1);
  await repositoryWith(scratch, "broken", { 1: stable, 2: (dir) => oneRowVersion(dir, 0.5, 2) }, 1);
  const started = await startRolloutServer(scratch, token);
  for (const model of ["same", "diff"]) {
    const put = await call(started.url, "PUT", `/v1/models/${model}/rollout`, token, {
      candidate: 2,
      share: 0,
      shadow: 1,
    });
    assert.equal(put.status, 200, JSON.stringify(put.json));
  }
  return started;
});

/** The shadow stats once `n` shadow runs have ended (compared, failed or dropped). */
async function shadowStatsAfter(model: string, n: number): Promise<RolloutView["stats"]["shadow"]> {
  return waitFor(
    async () => {
      const shadow = (await rolloutView(server.url, model))!.stats.shadow;
      return shadow.compared + shadow.errors + shadow.dropped >= n ? shadow : undefined;
    },
    30_000,
    5,
  );
}

/**
 * Sends `requests` one after the other; every few, waits for their shadow runs to end, so
 * that fewer are ever in flight than the server's bound (8) and none is shed: each
 * request's shadow run is compared, and the count is exact.
 */
async function sendSettling(
  model: string,
  requests: readonly (() => Promise<void>)[],
  alreadyEnded = 0,
): Promise<void> {
  for (let i = 0; i < requests.length; i++) {
    await requests[i]!();
    if ((i + 1) % 4 === 0 || i === requests.length - 1) {
      await shadowStatsAfter(model, alreadyEnded + i + 1);
    }
  }
}

test("an identical candidate agrees on every shadowed request", async () => {
  const requests = Array.from({ length: 200 }, (_, i) => async () => {
    const x = (i * 7) % 100;
    const answer = await predictRows(server.url, "same", [x, x + 0.25]);
    assert.deepEqual([answer.status, answer.version], [200, 1]);
    assert.deepEqual(answer.ys, [0.5 * x + 2, 0.5 * (x + 0.25) + 2]);
  });
  await sendSettling("same", requests);
  const shadow = await shadowStatsAfter("same", 200);
  assert.deepEqual(
    [shadow.compared, shadow.agreement, shadow.errors, shadow.dropped, shadow.max_abs_diff],
    [200, 1, 0, 0, 0],
  );
  assert.equal(
    await metricValue(
      server.url,
      ":servable:rollout:shadow_comparisons",
      'model_name="same",result="agree"',
    ),
    200,
  );
});

test("a candidate that differs on known inputs disagrees exactly where it differs", async () => {
  const xs = [...Array<number>(30).fill(4), ...Array.from({ length: 70 }, (_, i) => i + 5)];
  await sendSettling(
    "diff",
    xs.map((x) => async () => {
      const answer = await predictRows(server.url, "diff", [x]);
      assert.deepEqual([answer.status, answer.version, answer.ys], [200, 1, [0.5 * x + 2]]);
    }),
  );
  const shadow = await shadowStatsAfter("diff", 100);
  assert.deepEqual([shadow.compared, shadow.dropped, shadow.errors], [100, 0, 0]);
  assert.equal(shadow.agreement, 0.3, "measured disagreement 70 %, as expected");
  // The largest |0.5x + 2 - x| over the inputs: x = 74, 35.
  assert.equal(shadow.max_abs_diff, 35);
  const counted = async (result: string) =>
    metricValue(
      server.url,
      ":servable:rollout:shadow_comparisons",
      `model_name="diff",result="${result}"`,
    );
  assert.deepEqual([await counted("agree"), await counted("disagree")], [30, 70]);
});

test("classify agrees on the top class even when the scores differ", async () => {
  const classify = async () => {
    const res = await fetch(`${server.url}/v1/models/diff:classify`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // 1.0, not 1: a float feature (JSON.stringify would write an int64 one).
      body: '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}]}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { results: [[["", 2.5]]] });
  };
  await sendSettling("diff", Array<() => Promise<void>>(10).fill(classify), 100);
  const shadow = await shadowStatsAfter("diff", 110);
  // One class: its top class is the same whatever its score (2.5 against 1).
  assert.equal(shadow.compared, 110);
  const agreed = await metricValue(
    server.url,
    ":servable:rollout:shadow_comparisons",
    'model_name="diff",result="agree"',
  );
  assert.equal(agreed, 40, "the 30 predicts at x = 4 and the 10 classifies");
  assert.equal(shadow.agreement, Math.round((40 / 110) * 1e4) / 1e4);
});

test("shadow runs that fail never reach the client; the guard rolls the candidate back on them", async () => {
  const put = await call(server.url, "PUT", "/v1/models/broken/rollout", token, {
    candidate: 2,
    share: 0,
    shadow: 1,
    guard: { min_requests: 10, max_error_rate_increase: 0.5 },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  let sent = 0;
  for (; sent < 200; sent++) {
    const view = (await rolloutView(server.url, "broken"))!;
    if (view.state === "rolled_back") break;
    const answer = await predictRows(server.url, "broken", [sent, sent + 1]);
    assert.deepEqual(
      [answer.status, answer.version, answer.ys],
      [200, 1, [0.5 * sent + 2, 0.5 * (sent + 1) + 2]],
    );
  }
  const view = (await rolloutView(server.url, "broken"))!;
  assert.equal(view.state, "rolled_back", `still running after ${sent} requests`);
  assert.match(view.reason, /^error_rate: candidate 2 failed \d+ of \d+ shadow runs/);
  assert.ok(view.stats.shadow.errors >= 10);
  assert.equal(view.stats.stable.errors, 0);
});
