import assert from "node:assert/strict";
import { after, test } from "node:test";
import { call, freePort, serverInScratchFolder, type ServingClient } from "../support";
import {
  answerOf,
  grpcPredict,
  inParallel,
  metricValue,
  predictionClient,
  predictRows,
  repositoryWith,
  STABLE_AND_CANDIDATE,
  startRolloutServer,
} from "./rollout-support";

/**
 * The traffic split through a real server: version 1 of "hp" (stable) answers y = 0.5x + 2,
 * version 2 (the candidate) y = 0.5x + 3, so every answer tells which version gave it, and
 * the X-Servable-Version header must say the same.
 */
const token = "rollout-token";

let grpcClient: ServingClient;

const server = serverInScratchFolder("servable-rollout-split-", async (scratch) => {
  await repositoryWith(scratch, "hp", STABLE_AND_CANDIDATE, 1);
  const grpcPort = await freePort();
  const started = await startRolloutServer(scratch, token, { flags: [`--port=${grpcPort}`] });
  grpcClient = predictionClient(grpcPort);
  return started;
});
after(() => grpcClient?.close());

test("without a rollout an unversioned request gets the latest version (TF Serving's rule)", async () => {
  const answer = await predictRows(server.url, "hp", [4]);
  assert.deepEqual([answer.status, answer.version, answer.ys], [200, 2, [answerOf(2, 4)]]);
});

test("10,000 unversioned requests with share 0.2: the candidate answers 20 % ± 1.5 %, each answer right for its version", async () => {
  const put = await call(server.url, "PUT", "/v1/models/hp/rollout", token, {
    candidate: 2,
    share: 0.2,
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.deepEqual(
    [put.json.stable, put.json.candidate, put.json.share, put.json.state],
    [1, 2, 0.2, "running"],
  );
  const byVersion = new Map<number, number>();
  const wrong: string[] = [];
  await inParallel(10_000, 8, async (i) => {
    const x = i % 100;
    const answer = await predictRows(server.url, "hp", [x]);
    byVersion.set(answer.version, (byVersion.get(answer.version) ?? 0) + 1);
    if (answer.status !== 200 || answer.ys[0] !== answerOf(answer.version, x)) {
      wrong.push(`x=${x}: ${answer.status} v${answer.version} ${answer.ys[0] ?? answer.error}`);
    }
  });
  assert.deepEqual(wrong, []);
  assert.deepEqual([...byVersion.keys()].sort(), [1, 2]);
  const share = byVersion.get(2)! / 10_000;
  assert.ok(Math.abs(share - 0.2) <= 0.015, `the candidate answered ${share * 100} %`);

  assert.equal(await metricValue(server.url, ":servable:rollout:share", 'model_name="hp"'), 0.2);
  const listed = (await call(server.url, "GET", "/v1/models", undefined)).json as {
    models: {
      name: string;
      rollout?: { candidate: number; stats: Record<string, { requests: number }> };
    }[];
  };
  const rollout = listed.models.find((m) => m.name === "hp")!.rollout!;
  assert.equal(rollout.candidate, 2);
  assert.ok(rollout.stats.candidate!.requests > 0 && rollout.stats.stable!.requests > 0);
});

test("requests that name a version or a label are never redirected", async () => {
  for (const [path, version] of [
    ["hp/versions/1", 1],
    ["hp/versions/2", 2],
    ["hp/labels/stable", 1],
  ] as const) {
    for (let x = 0; x < 20; x++) {
      const answer = await predictRows(server.url, path, [x]);
      assert.deepEqual(
        [answer.status, answer.version, answer.ys],
        [200, version, [answerOf(version, x)]],
      );
    }
  }
});

test("one routing key lands on one version, over REST, V2 and gRPC alike", async () => {
  let onCandidate = 0;
  for (let k = 0; k < 200; k++) {
    const key = `user-${k}`;
    const versions = new Set<number>();
    for (let r = 0; r < 3; r++) {
      const answer = await predictRows(server.url, "hp", [k], key);
      assert.equal(answer.ys[0], answerOf(answer.version, k));
      versions.add(answer.version);
    }
    const v2 = await fetch(`${server.url}/v2/models/hp/infer`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Servable-Routing-Key": key },
      body: JSON.stringify({ inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: [k] }] }),
    });
    const v2Body = (await v2.json()) as { model_version: string; outputs: { data: number[] }[] };
    const v2Version = Number(v2.headers.get("x-servable-version"));
    assert.equal(v2Body.model_version, String(v2Version));
    assert.equal(v2Body.outputs[0]!.data[0], answerOf(v2Version, k));
    versions.add(v2Version);
    const grpcAnswer = await grpcPredict(grpcClient, "hp", k, key);
    assert.equal(grpcAnswer.y, answerOf(grpcAnswer.version, k));
    versions.add(grpcAnswer.version);
    assert.equal(versions.size, 1, `key ${key} landed on versions ${[...versions].join(", ")}`);
    if (versions.has(2)) onCandidate++;
  }
  // 200 keys at share 0.2: about 40 on the candidate (the split is by hash, not a coin).
  assert.ok(onCandidate > 15 && onCandidate < 70, `${onCandidate} of 200 keys on the candidate`);
});

test("under rollout control, share 0 sends nothing to the newer candidate; removing the rollout brings TF Serving's rule back", async () => {
  assert.equal(
    (await call(server.url, "PUT", "/v1/models/hp/rollout", token, { share: 0 })).status,
    200,
  );
  for (let x = 0; x < 50; x++) {
    assert.equal((await predictRows(server.url, "hp", [x])).version, 1);
  }
  const metadata = await call(server.url, "GET", "/v1/models/hp/metadata", undefined);
  assert.deepEqual(metadata.json.model_spec, { name: "hp", signature_name: "", version: "1" });
  const removed = await call(server.url, "DELETE", "/v1/models/hp/rollout", token);
  assert.deepEqual([removed.status, removed.json], [200, { name: "hp" }]);
  assert.equal((await predictRows(server.url, "hp", [1])).version, 2);
  assert.equal((await call(server.url, "GET", "/v1/models/hp/rollout", undefined)).status, 404);
});
