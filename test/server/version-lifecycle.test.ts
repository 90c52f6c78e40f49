import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  corruptVersion,
  heavyLinearVersion,
  installVersion,
  linearVersion,
  postJson,
  serverInScratchFolder,
  versionStates,
  waitFor,
} from "../support";

/**
 * A model's versions change under a running server (TF Serving's FileSystemStoragePathSource
 * and AvailabilityPreservingPolicy): a new version directory becomes AVAILABLE within the
 * poll interval plus its load time and then the old one ends; a corrupt version ends with
 * its error while the previous one serves; clients looping during a swap never fail.
 *
 * Version N of model "m" answers y = 0.5x + N, so x = 0 tells which version answered. The
 * steps below run in order on one server, each starting from the state the last one left.
 */
const POLL_SECONDS = 1;
let base: string;

const server = serverInScratchFolder("servable-lifecycle-", async (scratch) => {
  base = join(scratch.path, "m");
  await installVersion(base, 1, (dir) => linearVersion(dir, 1));
  return scratch.startServer([
    "--model_name=m",
    `--model_base_path=${base}`,
    `--file_system_poll_wait_seconds=${POLL_SECONDS}`,
    "--max_num_load_retries=0",
  ]);
});

const statuses = () => versionStates(server.url, "m");

async function waitForState(version: number, state: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const found = (await statuses()).find((s) => s.version === String(version));
      return found?.state === state ? found : undefined;
    },
    timeoutMs,
    25,
  );
}

/** The version that answers an unversioned predict (y at x = 0). */
async function servingVersion(): Promise<number> {
  const res = await postJson(`${server.url}/v1/models/m:predict`, '{"instances": [0.0]}');
  assert.equal(res.status, 200, res.text);
  return (res.json as { predictions: number[] }).predictions[0]!;
}

/** When the server logged that a version entered a state (its own clock, ms since the epoch). */
async function loggedAt(version: number, state: string): Promise<number> {
  const line = await server.waitForLog(
    (l) => l.model === "m" && l.version === version && l.state === state,
  );
  return line.time as number;
}

/**
 * Runs `clients` loops of unversioned predicts while `during` runs, and returns each
 * client's answers in order and every failure. Every client has answered a few times
 * before `during` starts and again after it ends (conditions, not sleeps).
 */
async function underLoad(clients: number, during: () => Promise<void>) {
  const answers: { at: number; version: number }[][] = Array.from({ length: clients }, () => []);
  const failures: string[] = [];
  let stop = false;
  const loop = async (client: number) => {
    while (!stop) {
      try {
        const res = await postJson(`${server.url}/v1/models/m:predict`, '{"instances": [0.0]}');
        if (res.status !== 200) failures.push(`${res.status} ${res.text}`);
        else {
          const version = (res.json as { predictions: number[] }).predictions[0]!;
          answers[client]!.push({ at: Date.now(), version });
        }
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const everyClientAnswered = async (atLeast: number[]) =>
    waitFor(
      async () => (answers.every((a, i) => a.length >= atLeast[i]!) ? true : undefined),
      30_000,
      10,
    );
  const running = Array.from({ length: clients }, (_, i) => loop(i));
  try {
    await everyClientAnswered(answers.map(() => 3));
    await during();
    await everyClientAnswered(answers.map((a) => a.length + 3));
  } finally {
    stop = true;
    await Promise.all(running);
  }
  return { answers, failures };
}

describe("versions of a model change while it serves", () => {
  test("a new version becomes AVAILABLE, then the old one is END", async () => {
    assert.equal(await servingVersion(), 1);
    await installVersion(base, 2, (dir) => heavyLinearVersion(dir, 2, 16));
    // Found on the next poll, then loaded: a deadline for the condition, not a timing claim.
    await waitForState(2, "AVAILABLE", POLL_SECONDS * 1000 + 30_000);
    assert.ok(
      (await loggedAt(2, "LOADING")) <= (await loggedAt(2, "AVAILABLE")),
      "LOADING, then AVAILABLE",
    );
    assert.equal(await servingVersion(), 2);

    const ended = await waitForState(1, "END");
    assert.deepEqual(ended.status, { error_code: "OK", error_message: "" });
    assert.ok(
      (await loggedAt(2, "AVAILABLE")) <= (await loggedAt(1, "UNLOADING")),
      "the old version started unloading only after the new one was AVAILABLE",
    );
    assert.deepEqual(
      (await statuses()).map((s) => `${s.version} ${s.state}`),
      ["2 AVAILABLE", "1 END"],
    );
    const old = await postJson(
      `${server.url}/v1/models/m/versions/1:predict`,
      '{"instances": [0.0]}',
    );
    assert.equal(old.status, 404);
    assert.deepEqual(old.json, { error: "Servable not found for request: Specific(m, 1)" });
  });

  test("a corrupt version ends with its error while the previous version keeps serving", async () => {
    await installVersion(base, 3, corruptVersion);
    const failed = await waitForState(3, "END");
    assert.equal(failed.status.error_code, "INVALID_ARGUMENT");
    assert.match(failed.status.error_message, /model\.json in .*3: does not parse/);
    assert.equal(await servingVersion(), 2, "version 2 still answers");
    assert.equal((await statuses()).find((s) => s.version === "2")?.state, "AVAILABLE");
    const corrupt = await postJson(
      `${server.url}/v1/models/m/versions/3:predict`,
      '{"instances": [0.0]}',
    );
    assert.equal(corrupt.status, 404);
  });

  test("a clean version after the corrupt one loads and replaces the serving one", async () => {
    await installVersion(base, 4, (dir) => linearVersion(dir, 4));
    await waitForState(4, "AVAILABLE");
    assert.equal(await servingVersion(), 4);
    await waitForState(2, "END");
    assert.deepEqual(
      (await statuses()).map((s) => `${s.version} ${s.state}`),
      ["4 AVAILABLE", "3 END", "2 END", "1 END"],
    );
  });

  test("16 clients looping predict through a swap: no failure, answers move from old to new", async () => {
    const { answers, failures } = await underLoad(16, async () => {
      await installVersion(base, 5, (dir) => heavyLinearVersion(dir, 5, 32));
      await waitForState(5, "AVAILABLE");
      await waitForState(4, "END");
    });

    assert.deepEqual(failures, [], "every request succeeded");
    const all = answers.flat();
    assert.ok(all.length > 100, `${all.length} requests`);
    assert.deepEqual([...new Set(all.map((a) => a.version))].sort(), [4, 5]);
    for (const [client, seen] of answers.entries()) {
      const firstNew = seen.findIndex((a) => a.version === 5);
      assert.ok(firstNew > 0, `client ${client} saw version 4, then 5`);
      assert.ok(
        seen.slice(firstNew).every((a) => a.version === 5),
        `client ${client} never went back to version 4`,
      );
    }
    const loadingAt = await loggedAt(5, "LOADING");
    const availableAt = await loggedAt(5, "AVAILABLE");
    const duringLoad = all.filter((a) => a.at > loadingAt && a.at < availableAt).length;
    assert.ok(
      duringLoad > 0,
      `requests were answered while version 5 loaded (${availableAt - loadingAt} ms): ${duringLoad}`,
    );
  });

  test("deleting the newest version directory rolls back to the previous one, without a gap", async () => {
    const { answers, failures } = await underLoad(4, async () => {
      await rm(join(base, "5"), { recursive: true });
      await waitForState(4, "AVAILABLE");
      await waitForState(5, "END");
    });
    assert.deepEqual(failures, []);
    assert.deepEqual([...new Set(answers.flat().map((a) => a.version))].sort(), [4, 5]);
    assert.equal(await servingVersion(), 4);
  });
});
