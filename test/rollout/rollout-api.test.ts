import assert from "node:assert/strict";
import { test } from "node:test";
import { call, linearFiles, stateOf, upload, serverInScratchFolder, waitFor } from "../support";
import {
  affineVersion,
  predictRows,
  repositoryWith,
  rolloutView,
  startRolloutServer,
} from "./rollout-support";

/**
 * The rollout calls of the management API through a real server: starting a rollout (and
 * what it refuses), promote, roll back (keeping or deleting the candidate), ending one.
 * Version v of "iris" answers y = 0.5x + 10v.
 */
const token = "api-token";
const y = (version: number, x: number) => 0.5 * x + 10 * version;

const server = serverInScratchFolder("servable-rollout-api-", async (scratch) => {
  const version = (v: number) => (dir: string) => affineVersion(dir, 0.5, 10 * v);
  await repositoryWith(scratch, "iris", { 1: version(1), 2: version(2), 3: version(3) }, 1);
  return startRolloutServer(scratch, token);
});

const put = (body: unknown) => call(server.url, "PUT", "/v1/models/iris/rollout", token, body);

test("what starting a rollout refuses, with TF Serving's error body", async () => {
  const anonymous = await call(server.url, "PUT", "/v1/models/iris/rollout", undefined, {
    candidate: 3,
  });
  assert.equal(anonymous.status, 401);
  // Version 2 is not served (the latest policy serves 3, the stable label 1).
  const unavailable = await put({ candidate: 2 });
  assert.deepEqual(unavailable, {
    status: 400,
    json: {
      error:
        "Request to assign label to version 2 of model iris, which is not currently available for inference",
    },
  });
  for (const [body, error] of [
    [{ share: 0.1 }, /give its "candidate" version/],
    [{ candidate: 3, share: 1.5 }, /Invalid share 1.5: a fraction in \[0, 1\]/],
    [{ candidate: 3, shadow: -0.1 }, /Invalid shadow -0.1/],
    [{ candidate: 1 }, /the candidate must be another one/],
    [{ candidate: 3, canidate: 3 }, /Unknown rollout field "canidate"/],
    [{ candidate: 3, guard: { min_requests: 0 } }, /min_requests must be a whole number/],
    ["[1]", /Expected a JSON body/],
  ] as const) {
    const answer = await put(body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.match(String(answer.json.error), error);
  }
  const unknown = await call(server.url, "PUT", "/v1/models/nope/rollout", token, {
    candidate: 1,
  });
  assert.deepEqual(unknown, {
    status: 404,
    json: { error: "Could not find any versions of model nope" },
  });
  assert.equal((await call(server.url, "GET", "/v1/models/iris/rollout", undefined)).status, 404);
});

test("promote makes the candidate stable and ends the rollout", async () => {
  const started = await put({ candidate: 3, share: 0.5, shadow: 0.25 });
  assert.equal(started.status, 200);
  assert.deepEqual(
    [started.json.stable, started.json.candidate, started.json.share, started.json.shadow],
    [1, 3, 0.5, 0.25],
  );
  const refused = await call(server.url, "DELETE", "/v1/models/iris/versions/3", token);
  assert.equal(refused.status, 400);
  assert.match(String(refused.json.error), /is the candidate of its rollout/);
  // Omitted fields keep their value.
  const changed = await put({ share: 0.1 });
  assert.deepEqual([changed.json.share, changed.json.shadow], [0.1, 0.25]);

  const promoted = await call(server.url, "POST", "/v1/models/iris/rollout:promote", token);
  assert.deepEqual(promoted, { status: 200, json: { name: "iris", stable: 3 } });
  assert.equal(await rolloutView(server.url, "iris"), undefined);
  const labels = await call(server.url, "GET", "/v1/models/iris/labels", undefined);
  assert.deepEqual(
    (labels.json.labels as { label: string; version: number }[]).map((l) => [l.label, l.version]),
    [["stable", 3]],
  );
  for (let x = 0; x < 20; x++)
    assert.equal((await predictRows(server.url, "iris", [x])).version, 3);
  // Version 1 is no longer labelled nor the latest: it unloads.
  await waitFor(async () => ((await stateOf(server.url, "iris", 1)) === "END" ? true : undefined));
  const again = await call(server.url, "POST", "/v1/models/iris/rollout:promote", token);
  assert.deepEqual(again, { status: 404, json: { error: "Model iris has no rollout" } });
});

test("roll back keeps the candidate out; a new PUT runs it again; roll back can delete it", async () => {
  const uploaded = await upload(server.url, "iris", await linearFiles(40), { token });
  assert.equal(uploaded.json.version, 4);
  await waitFor(async () =>
    (await stateOf(server.url, "iris", 4)) === "AVAILABLE" ? true : undefined,
  );
  assert.equal((await put({ candidate: 4, share: 1 })).status, 200);
  assert.deepEqual((await predictRows(server.url, "iris", [2])).ys, [y(4, 2)]);

  const rolledBack = await call(server.url, "POST", "/v1/models/iris/rollout:rollback", token);
  assert.equal(rolledBack.status, 200);
  assert.deepEqual(
    [rolledBack.json.state, rolledBack.json.share, rolledBack.json.reason],
    ["rolled_back", 0, "manual: rolled back through the management API"],
  );
  for (let x = 0; x < 20; x++) {
    const answer = await predictRows(server.url, "iris", [x]);
    assert.deepEqual([answer.version, answer.ys], [3, [y(3, x)]], "never the newer candidate");
  }
  // Still loaded (the record names it), and reachable by its version.
  assert.equal((await predictRows(server.url, "iris/versions/4", [2])).ys[0], y(4, 2));

  assert.equal((await put({ share: 1 })).json.state, "running");
  assert.equal((await predictRows(server.url, "iris", [2])).version, 4);

  const deleted = await call(server.url, "POST", "/v1/models/iris/rollout:rollback", token, {
    delete_candidate: true,
  });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
  assert.deepEqual([deleted.json.state, deleted.json.candidate_deleted], ["rolled_back", true]);
  assert.equal(await rolloutView(server.url, "iris"), undefined);
  assert.equal(await stateOf(server.url, "iris", 4), "HTTP 404");
  assert.equal((await predictRows(server.url, "iris", [2])).version, 3);
});

test("a rollout without a stable label takes the highest other AVAILABLE version as stable", async () => {
  // Version 3 stays served under another label; without `stable` the model is not under rollout control.
  const label = (name: string, version: number) =>
    call(server.url, "PUT", `/v1/models/iris/labels/${name}`, token, { version });
  assert.equal((await label("previous", 3)).status, 200);
  assert.equal(
    (await call(server.url, "DELETE", "/v1/models/iris/labels/stable", token)).status,
    200,
  );
  const uploaded = await upload(server.url, "iris", await linearFiles(50), { token });
  assert.equal(uploaded.json.version, 5);
  await waitFor(async () =>
    (await stateOf(server.url, "iris", 5)) === "AVAILABLE" ? true : undefined,
  );
  const started = await put({ candidate: 5 });
  assert.equal(started.status, 200, JSON.stringify(started.json));
  assert.equal(started.json.stable, 3);
  const labels = await call(server.url, "GET", "/v1/models/iris/labels", undefined);
  assert.deepEqual(
    (labels.json.labels as { label: string; version: number }[]).map((l) => [l.label, l.version]),
    [
      ["previous", 3],
      ["stable", 3],
    ],
  );
  for (let x = 0; x < 10; x++)
    assert.equal((await predictRows(server.url, "iris", [x])).version, 3);

  const ended = await call(server.url, "DELETE", "/v1/models/iris/rollout", token);
  assert.deepEqual(ended, { status: 200, json: { name: "iris" } });
  assert.equal((await predictRows(server.url, "iris", [1])).version, 5, "the latest again");
  assert.equal((await call(server.url, "DELETE", "/v1/models/iris/rollout", token)).status, 404);
});
