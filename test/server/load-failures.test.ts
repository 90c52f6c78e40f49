import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  installVersion,
  linearVersion,
  getJson,
  postJson,
  serverInScratchFolder,
  versionInState,
  waitFor,
} from "../support";

/**
 * One malformed model must not hold the server (issue 12, finding 3): with TF Serving's
 * default retries (5, a minute apart) in force, a model.json that contradicts itself
 * ends its version at once with the file and field named, the REST port opens at once,
 * the server becomes ready once the good model is AVAILABLE, and a model added later
 * loads without waiting behind the bad one. Before the fix the port stayed closed for
 * about 300 s and a model added a second later waited 301 s.
 */
let repository: string;
let startedAt: number;
let liveAfterMs: number;

/** The demo graph with its weightsManifest replaced: a file no retry can fix. */
async function malformedVersion(dir: string, weightsManifest: unknown): Promise<void> {
  await linearVersion(dir, 0);
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as object;
  await writeFile(join(dir, "model.json"), JSON.stringify({ ...json, weightsManifest }));
}

const server = serverInScratchFolder("servable-load-failures-", async (scratch) => {
  repository = join(scratch.path, "models");
  await installVersion(join(repository, "bad"), 1, (d) => malformedVersion(d, 5));
  await installVersion(join(repository, "good"), 1, (d) => linearVersion(d, 1));
  startedAt = Date.now();
  const started = await scratch.startServer(
    [`--model_repository=${repository}`, "--file_system_poll_wait_seconds=1"],
    { waitForModels: false },
  );
  const live = await getJson(`${started.url}/v2/health/live`);
  liveAfterMs = Date.now() - startedAt;
  assert.equal(live.status, 200);
  return started;
});

test("the REST port opens at once; the malformed version ends at once, naming file and field", async (t) => {
  t.diagnostic(`/v2/health/live answered ${liveAfterMs} ms after the process started`);
  const ended = await waitFor(() => versionInState(server.url, "bad", "END"), 30_000, 50);
  assert.equal(ended.status.error_code, "INVALID_ARGUMENT");
  assert.match(
    ended.status.error_message,
    /^model\.json in .*bad.1: "weightsManifest" must be a list of weight groups, not 5$/,
  );
  await waitFor(() => versionInState(server.url, "good", "AVAILABLE"), 30_000, 50);
  const ready = await waitFor(
    async () => {
      const res = await getJson(`${server.url}/v2/health/ready`);
      return res.status === 200 ? res : undefined;
    },
    30_000,
    50,
  );
  assert.deepEqual(ready.json, { ready: true });
  t.diagnostic(`/v2/health/ready answered 200 ${Date.now() - startedAt} ms after the start`);
  const answer = await postJson(`${server.url}/v1/models/good:predict`, '{"instances": [0.0]}');
  assert.equal(answer.text.replace(/\s/g, ""), '{"predictions":[1.0]}');
});

test("a healthy model added beside a new malformed one loads without waiting for it", async (t) => {
  const added = Date.now();
  await Promise.all([
    installVersion(join(repository, "also_bad"), 1, (d) =>
      malformedVersion(d, [{ paths: [123], weights: [] }]),
    ),
    installVersion(join(repository, "late"), 1, (d) => linearVersion(d, 7)),
  ]);
  // The deadline is far below the 60 s retry interval a retried failure would hold.
  await waitFor(() => versionInState(server.url, "late", "AVAILABLE"), 20_000, 50);
  t.diagnostic(`the healthy model was AVAILABLE ${Date.now() - added} ms after it was added`);
  const bad = await waitFor(() => versionInState(server.url, "also_bad", "END"), 20_000, 50);
  assert.match(
    bad.status.error_message,
    /weightsManifest\[0\]\.paths\[0\] must be a file name, not 123/,
  );
  const answer = await postJson(`${server.url}/v1/models/late:predict`, '{"instances": [0.0]}');
  assert.equal(answer.text.replace(/\s/g, ""), '{"predictions":[7.0]}');
});
