import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { call, serverInScratchFolder, waitFor } from "../support";
import {
  metricValue,
  predictRows,
  repositoryWith,
  rolloutView,
  STABLE_AND_FAILING_CANDIDATE,
  startRolloutServer,
  repositoryIn,
} from "./rollout-support";

/**
 * The guard rails through a real server. Version 2 of "hp", the candidate, fails while
 * running every request of two rows (a model bug), and clients send one or two rows at
 * random: the candidate fails on half of its requests. The rollout's guard must roll it
 * back within its window, and from then on no client request may fail.
 */
const token = "guard-token";
const WINDOW_SECONDS = 30;
const MIN_REQUESTS = 10;
let repository: string;

const server = serverInScratchFolder("servable-rollout-guard-", async (scratch) => {
  repository = repositoryIn(scratch);
  await repositoryWith(scratch, "hp", STABLE_AND_FAILING_CANDIDATE, 1);
  return startRolloutServer(scratch, token);
});

test("the candidate answers one row and fails on two, while stable answers both", async () => {
  assert.deepEqual((await predictRows(server.url, "hp/versions/2", [4])).ys, [5]);
  const failed = await predictRows(server.url, "hp/versions/2", [4, 6]);
  assert.equal(failed.status, 400);
  assert.match(failed.error!, /[Ss]ize/);
  assert.deepEqual((await predictRows(server.url, "hp/versions/1", [4, 6])).ys, [4, 5]);
});

test("a candidate failing on half of its requests is rolled back within the window; then no request fails", async () => {
  const put = await call(server.url, "PUT", "/v1/models/hp/rollout", token, {
    candidate: 2,
    share: 0.5,
    guard: {
      window_seconds: WINDOW_SECONDS,
      min_requests: MIN_REQUESTS,
      max_error_rate_increase: 0.2,
    },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));

  let candidateRequests = 0;
  // The request after which the guard's rule first holds, as the test saw the candidate's answers
  // (stable never fails here, so its error rate is 0).
  let candidateFailures = 0;
  let ruleHoldsAfter: number | undefined;
  let firstFailure: number | undefined;
  const failures: string[] = [];
  const deadline = Date.now() + WINDOW_SECONDS * 1000;
  for (let i = 0; ; i++) {
    const rows = Math.random() < 0.5 ? [i % 10] : [i % 10, (i % 10) + 1];
    const answer = await predictRows(server.url, "hp", rows);
    if (answer.version === 2) {
      candidateRequests++;
      if (answer.status !== 200) candidateFailures++;
      if (candidateRequests >= MIN_REQUESTS && candidateFailures / candidateRequests > 0.2) {
        ruleHoldsAfter ??= candidateRequests;
      }
    }
    if (answer.status !== 200) {
      firstFailure ??= Date.now();
      failures.push(`v${answer.version} ${rows.length} rows: ${answer.status}`);
    }
    // Once the rule holds, no more traffic: the guard must decide on what it has seen.
    if (ruleHoldsAfter !== undefined) break;
    assert.notEqual((await rolloutView(server.url, "hp"))!.state, "rolled_back", "too early");
    assert.ok(Date.now() < deadline, `the rule did not hold within ${WINDOW_SECONDS} s`);
  }
  // A request's outcome reaches the guard after its answer, and the rollback is written to
  // the repository before it shows: wait for it, with no request in between.
  const view = await waitFor(async () => {
    const current = (await rolloutView(server.url, "hp"))!;
    return current.state === "rolled_back" ? current : undefined;
  }, 10_000);
  assert.deepEqual([view.state, view.share, view.shadow], ["rolled_back", 0, 0]);
  assert.match(view.reason, /^error_rate: candidate 2 failed \d+ of \d+ requests/);
  assert.ok(ruleHoldsAfter !== undefined && ruleHoldsAfter >= MIN_REQUESTS);
  assert.match(
    view.reason,
    new RegExp(`failed ${candidateFailures} of ${candidateRequests} requests`),
  );
  assert.ok(firstFailure !== undefined && Date.now() - firstFailure < WINDOW_SECONDS * 1000);
  assert.ok(
    failures.every((f) => f.startsWith("v2 2 rows")),
    `only the candidate's two-row requests failed: ${failures.join("; ")}`,
  );
  // The rollback is written to the repository state, for every server on it.
  const record = await waitFor(async () => {
    const file = join(repository, ".servable", "models", "hp", "rollout.json");
    const written = JSON.parse(await readFile(file, "utf8")) as { state: string; reason: string };
    return written.state === "rolled_back" ? written : undefined;
  }, 5000);
  assert.equal(record.reason, view.reason);
  assert.equal(
    await metricValue(
      server.url,
      ":servable:rollout:rollbacks",
      'model_name="hp",reason="error_rate"',
    ),
    1,
  );

  for (let i = 0; i < 300; i++) {
    const rows = i % 2 === 0 ? [i % 10] : [i % 10, (i % 10) + 1];
    const answer = await predictRows(server.url, "hp", rows);
    assert.deepEqual(
      [answer.status, answer.version, answer.ys],
      [200, 1, rows.map((x) => 0.5 * x + 2)],
    );
  }
});
