import assert from "node:assert/strict";
import { test } from "node:test";
import { call, setUpInScratchFolder, waitFor, type ServerProcess } from "../support";
import {
  answerOf,
  metricValue,
  predictRows,
  repositoryWith,
  rolloutView,
  STABLE_AND_CANDIDATE,
  STABLE_AND_FAILING_CANDIDATE,
  startRolloutServer,
} from "./rollout-support";

/**
 * Two servers on one repository route alike: a rollout set through A reaches B within two
 * poll intervals, the same routing keys land on the same versions on both, a rollback
 * through B is followed by A, and when both see a candidate fail, one of them writes the
 * rollback and the other follows it.
 */
const token = "replicas-token";
const POLL_SECONDS = 1;
let a: ServerProcess;
let b: ServerProcess;

setUpInScratchFolder("servable-rollout-replicas-", async (scratch) => {
  await repositoryWith(scratch, "hp", STABLE_AND_CANDIDATE, 1);
  await repositoryWith(scratch, "flaky", STABLE_AND_FAILING_CANDIDATE, 1);
  const start = (name: string) =>
    startRolloutServer(scratch, token, {
      flags: [`--file_system_poll_wait_seconds=${POLL_SECONDS}`],
      runtime: `runtime-${name}`,
    });
  [a, b] = await Promise.all([start("A"), start("B")]);
});

test("a rollout set through one server is followed by the other within two polls", async () => {
  const started = Date.now();
  const put = await call(a.url, "PUT", "/v1/models/hp/rollout", token, {
    candidate: 2,
    share: 0.3,
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  const seen = await waitFor(async () => {
    const view = await rolloutView(b.url, "hp");
    return view?.share === 0.3 ? view : undefined;
  }, 10_000);
  const ms = Date.now() - started;
  assert.ok(ms <= 2 * POLL_SECONDS * 1000, `B followed after ${ms} ms`);
  assert.deepEqual([seen.stable, seen.candidate, seen.updated_at], [1, 2, put.json.updated_at]);
});

test("the same routing keys land on the same versions on both servers", async () => {
  let onCandidate = 0;
  for (let k = 0; k < 300; k++) {
    const key = `session-${k}`;
    const [onA, onB] = await Promise.all([
      predictRows(a.url, "hp", [k], key),
      predictRows(b.url, "hp", [k], key),
    ]);
    assert.equal(onA.version, onB.version, `key ${key}: A ${onA.version}, B ${onB.version}`);
    assert.deepEqual([onA.ys, onB.ys], [[answerOf(onA.version, k)], [answerOf(onB.version, k)]]);
    if (onA.version === 2) onCandidate++;
  }
  assert.ok(onCandidate > 50 && onCandidate < 130, `${onCandidate} of 300 keys on the candidate`);
});

test("a rollback through one server is followed by the other", async () => {
  const rolledBack = await call(b.url, "POST", "/v1/models/hp/rollout:rollback", token);
  assert.equal(rolledBack.status, 200);
  await waitFor(async () =>
    (await rolloutView(a.url, "hp"))?.state === "rolled_back" ? true : undefined,
  );
  for (let x = 0; x < 50; x++) {
    const answer = await predictRows(a.url, "hp", [x], `session-${x}`);
    assert.deepEqual([answer.version, answer.ys], [1, [answerOf(1, x)]]);
  }
});

test("both servers judge a failing candidate; one writes the rollback, both follow it", async () => {
  const put = await call(a.url, "PUT", "/v1/models/flaky/rollout", token, {
    candidate: 2,
    share: 1,
    guard: { min_requests: 5, max_error_rate_increase: 0.5 },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  await waitFor(async () => ((await rolloutView(b.url, "flaky"))?.share === 1 ? true : undefined));
  // Two rows: the candidate fails on every one, on both servers at once.
  const drive = async (server: ServerProcess) => {
    for (let i = 0; i < 200; i++) {
      if ((await rolloutView(server.url, "flaky"))!.state === "rolled_back") return;
      await predictRows(server.url, "flaky", [1, 2]);
    }
  };
  await Promise.all([drive(a), drive(b)]);
  const [onA, onB] = await waitFor(async () => {
    const views = await Promise.all([rolloutView(a.url, "flaky"), rolloutView(b.url, "flaky")]);
    return views.every((v) => v?.state === "rolled_back") ? views : undefined;
  });
  assert.match(onA!.reason, /^error_rate: candidate 2 failed/);
  const rollbacks = async (server: ServerProcess) =>
    metricValue(
      server.url,
      ":servable:rollout:rollbacks",
      'model_name="flaky",reason="error_rate"',
    );
  const [byA, byB] = await waitFor(async () => {
    const counts = [await rollbacks(a), await rollbacks(b)];
    return counts[0]! + counts[1]! > 0 ? counts : undefined;
  });
  assert.equal(byA! + byB!, 1, `A wrote ${byA}, B wrote ${byB}`);
  await waitFor(async () =>
    (await rolloutView(byA ? b.url : a.url, "flaky"))?.reason === (byA ? onA : onB)!.reason
      ? true
      : undefined,
  );
  for (const server of [a, b]) {
    const answer = await predictRows(server.url, "flaky", [1, 2]);
    assert.deepEqual([answer.status, answer.version], [200, 1]);
  }
});
