import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeModelRepository, MLP_INPUT } from "../../bench/models";
import { postJson, ROOT, startServer, type ServerProcess } from "../support";

/**
 * Batching and replicas through a real server: answers equal the unbatched server's, and
 * a full queue answers 429 with TF Serving's code while every accepted request is right.
 */
let work: string;
let repository: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-batching-"));
  repository = join(work, "models");
  await makeModelRepository(repository, join(ROOT, "server", "demo", "models"));
});
after(() => rm(work, { recursive: true, force: true }));

/**
 * A server on the test repository that batches, on one replica, with these batching
 * parameters (written to `file` in the scratch folder).
 */
async function startBatchingServer(file: string, parameters: string): Promise<ServerProcess> {
  const path = join(work, file);
  await writeFile(path, parameters);
  return startServer([
    `--model_repository=${repository}`,
    "--enable_batching",
    `--batching_parameters_file=${path}`,
    "--model_replicas=1",
  ]);
}

const row = (seed: number) =>
  Array.from({ length: MLP_INPUT }, (_, i) => ((i * 31 + seed * 17) % 97) / 97);

describe("a batching server with worker replicas", () => {
  let plain: ServerProcess;
  let batching: ServerProcess;
  before(async () => {
    [plain, batching] = await Promise.all([
      startServer([`--model_repository=${repository}`]),
      startServer([`--model_repository=${repository}`, "--enable_batching", "--model_replicas=2"]),
    ]);
  });
  after(() => Promise.all([plain.stop(), batching.stop()]));

  test("answers concurrent requests of mixed sizes exactly as the unbatched server does", async () => {
    const requests = Array.from({ length: 48 }, (_, i) => ({
      instances: Array.from({ length: 1 + (i % 4) }, (_, j) => row(i * 10 + j)),
    }));
    const batched = await Promise.all(
      requests.map((r) => postJson(`${batching.url}/v1/models/mlp:predict`, r)),
    );
    for (const [i, request] of requests.entries()) {
      const alone = await postJson(`${plain.url}/v1/models/mlp:predict`, request);
      assert.equal(batched[i]!.status, 200, batched[i]!.text);
      assert.deepEqual(batched[i]!.json, alone.json, `request ${i}`);
    }
  });

  test("half_plus_two keeps TF Serving's answer when batched", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        postJson(
          `${batching.url}/v1/models/half_plus_two:predict`,
          '{"instances": [1.0, 2.0, 5.0]}',
        ),
      ),
    );
    for (const a of answers)
      assert.equal(a.text.replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}');
  });

  test("single-row requests are merged: 16 concurrent rows run as one batch, each answered alone", async () => {
    // A batch leaves when it holds 16 rows (or after 60 s): merging, not timing, decides.
    const server = await startBatchingServer(
      "sixteen.txt",
      "max_batch_size { value: 16 }\nbatch_timeout_micros { value: 60000000 }\nnum_batch_threads { value: 1 }\n",
    );
    try {
      const before = await batchCounts(server);
      const requests = Array.from({ length: 16 }, (_, i) => ({ instances: [row(100 + i)] }));
      const answers = await Promise.all(
        requests.map((r) => postJson(`${server.url}/v1/models/mlp:predict`, r)),
      );
      const counted = await batchCounts(server);
      assert.deepEqual(
        { rows: counted.rows - before.rows, batches: counted.batches - before.batches },
        { rows: 16, batches: 1 },
        "16 single-row requests, one batch",
      );
      for (const [i, request] of requests.entries()) {
        const alone = await postJson(`${plain.url}/v1/models/mlp:predict`, request);
        assert.equal(answers[i]!.status, 200, answers[i]!.text);
        assert.deepEqual(answers[i]!.json, alone.json, `request ${i} gets its own row's answer`);
      }
    } finally {
      await server.stop();
    }
  });
});

/** Rows and batches the server has counted for the MLP so far (its Prometheus histogram). */
async function batchCounts(server: ServerProcess): Promise<{ rows: number; batches: number }> {
  const metrics = await (await fetch(`${server.url}/monitoring/prometheus/metrics`)).text();
  const read = (what: string) =>
    Number(
      new RegExp(`input_batch_size_${what}\\{model_name="mlp",version="1"\\} (\\d+)`).exec(
        metrics,
      )?.[1] ?? 0,
    );
  return { rows: read("sum"), batches: read("count") };
}

test("a full batching queue answers 429 RESOURCE_EXHAUSTED and loses no accepted request", async () => {
  const server = await startBatchingServer(
    "tight-queue.txt",
    "max_batch_size { value: 1 }\nmax_enqueued_batches { value: 1 }\nnum_batch_threads { value: 1 }\n",
  );
  try {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        postJson(`${server.url}/v1/models/mlp:predict`, { instances: [row(i)] }),
      ),
    );
    const refused = answers.filter((a) => a.status === 429);
    const served = answers.filter((a) => a.status === 200);
    assert.ok(refused.length > 0, "the queue overflowed");
    assert.equal(
      refused.length + served.length,
      answers.length,
      answers.map((a) => a.status).join(","),
    );
    for (const r of refused) {
      assert.deepEqual(r.json, {
        error: "The batch scheduling queue to which this task was submitted is full",
      });
    }
    for (const s of served) {
      const probabilities = (s.json as { predictions: number[][] }).predictions[0]!;
      assert.equal(probabilities.length, 10);
      assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    const after = await postJson(`${server.url}/v1/models/mlp:predict`, { instances: [row(0)] });
    assert.equal(after.status, 200, "the server keeps serving");
  } finally {
    await server.stop();
  }
});
