import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  deploy,
  promote,
  rollback,
  rollout,
  rolloutStatus,
  ServerError,
  shadow,
  status,
} from "../../kernel-lib/src";
import { waitFor } from "../support";
import { startServerForKernelLib, type KernelLibServer } from "../support/kernel-lib-server";

/**
 * The kernel library's rollout calls against a real server, as a Node program (or a
 * notebook) makes them: no token given (the library finds the server's through the
 * runtime folder), answers checked by the version that gave them (X-Servable-Version).
 * Versions: 1 and 3 are the same model, 2 another.
 */
let served: KernelLibServer;
const saved = { ...process.env };

function model(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [4], name: "x" });
  const output = tf.layers
    .dense({
      units: 2,
      name: "y",
      kernelInitializer: tf.initializers.randomNormal({ seed }),
      biasInitializer: tf.initializers.constant({ value: seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}
const first = model(1);
const second = model(2);
const X = [[1, 2, 3, 4]];
const local = (m: tf.LayersModel) => (m.predict(tf.tensor2d(X)) as tf.Tensor).arraySync();

before(async () => {
  served = await startServerForKernelLib("servable-rollout-lib-");
  Object.assign(process.env, served.clientEnv);
  // Labelled, so the version policy (the latest version) keeps 1 and 2 loaded beside 3.
  for (const [m, label] of [
    [first, "stable"],
    [second, "canary"],
    [first, undefined],
  ] as const) {
    await deploy(m, { name: "iris", display: false, ...(label && { label }) });
  }
});

after(async () => {
  await served?.stop();
  process.env = saved;
});

/** `n` unversioned predicts: how many each version answered, each answer checked. */
async function unversioned(n: number): Promise<Map<string, number>> {
  const answered = new Map<string, number>();
  const expected = new Map([
    ["1", local(first)],
    ["2", local(second)],
    ["3", local(first)],
  ]);
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${served.server.url}/v1/models/iris:predict`, {
      method: "POST",
      body: JSON.stringify({ instances: X }),
    });
    assert.equal(res.status, 200);
    const version = res.headers.get("x-servable-version")!;
    const { predictions } = (await res.json()) as { predictions: number[][] };
    const want = expected.get(version) as number[][];
    assert.ok(want, `answered by version ${version}`);
    predictions[0]!.forEach((v, j) => assert.ok(Math.abs(v - want[0]![j]!) < 1e-4));
    answered.set(version, (answered.get(version) ?? 0) + 1);
  }
  return answered;
}

test("rollout: the candidate takes its share beside stable; the view says so in one line", async () => {
  const view = await rollout("iris", { candidate: 2, share: 0.5 });
  assert.equal(view.stable, 1);
  assert.equal(view.candidate, 2);
  assert.equal(view.share, 0.5);
  assert.equal(view.state, "running");
  assert.equal(inspect(view), "iris: candidate v2 takes 50 % of the traffic beside stable v1");
  const answered = await unversioned(200);
  assert.deepEqual([...answered.keys()].sort(), ["1", "2"]);
  // 200 draws at one half: 70 to 130 for each, unless something is badly wrong.
  assert.ok(answered.get("2")! > 70 && answered.get("2")! < 130, `${answered.get("2")} of 200`);
});

test("shadow: an identical candidate agrees on every answer; the share is kept", async () => {
  const view = await shadow("iris", { candidate: 3, share: 1 });
  assert.equal(view.candidate, 3);
  assert.equal(view.shadow, 1);
  assert.equal(view.share, 0.5);
  await unversioned(40);
  const seen = await waitFor(async () => {
    const v = await rolloutStatus("iris", { display: false });
    return v.stats.shadow.compared >= 10 ? v : undefined;
  });
  assert.equal(seen.stats.shadow.agreement, 1);
  assert.equal(seen.stats.shadow.max_abs_diff, 0);
  assert.ok(seen.stats.candidate.requests > 0 && seen.stats.stable.requests > 0);
});

test("rollback: the candidate stops answering unversioned requests; it stays on the server", async () => {
  const view = await rollback("iris");
  assert.equal(view.state, "rolled_back");
  assert.match(view.reason, /^manual:/);
  assert.match(inspect(view), /^iris: candidate v3 rolled back \(manual:.*\); stable v1 answers$/);
  assert.deepEqual([...(await unversioned(40)).keys()], ["1"]);
  assert.equal((await status("iris", { version: 3, display: false }))[0]!.state, "AVAILABLE");
});

test("promote: the candidate becomes stable and the rollout ends", async () => {
  await rollout("iris", { candidate: 2, share: 0.2 });
  const answer = await promote("iris");
  assert.deepEqual({ ...answer }, { name: "iris", stable: 2 });
  assert.equal(inspect(answer), "iris: version 2 is stable; the rollout is over");
  const labels = (await (await fetch(`${served.server.url}/v1/models/iris/labels`)).json()) as {
    labels: { label: string; version: number }[];
  };
  assert.equal(labels.labels.find((l) => l.label === "stable")?.version, 2);
  await assert.rejects(
    rolloutStatus("iris", { display: false }),
    (e: unknown) => e instanceof ServerError && e.status === 404,
  );
});

test("rollback with deleteCandidate: the candidate is deleted and the rollout ends", async () => {
  await rollout("iris", { candidate: 3, share: 0.2 });
  const view = await rollback("iris", { deleteCandidate: true });
  assert.equal(view.candidate_deleted, true);
  await waitFor(async () => {
    const versions = await status("iris", { display: false });
    return versions.some((v) => v.version === "3" && v.state === "AVAILABLE") ? undefined : true;
  });
  await assert.rejects(
    rolloutStatus("iris", { display: false }),
    (e: unknown) => e instanceof ServerError && e.status === 404,
  );
  assert.deepEqual([...(await unversioned(20)).keys()], ["2"]);
});

test("the server's refusals keep its text", async () => {
  await assert.rejects(
    rollout("iris", { candidate: 2, share: 1.5 }),
    (e: unknown) => e instanceof ServerError && e.status === 400 && /share/.test(e.serverMessage),
  );
  await assert.rejects(
    promote("iris"),
    (e: unknown) => e instanceof ServerError && e.status === 404 && /no rollout/.test(e.message),
  );
});
