import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { scratchFolder } from "../testing/scratch-folder";
import { StagingArea, type StagingOptions } from "./staging-area";

const scratch = scratchFolder("servable-staging-");

const logger = pino({ level: "silent" });

/** Two servers' staging areas on one folder, each with the test's clock. */
async function twoServers(
  root: string,
  clock: { now: number },
  first: Partial<StagingOptions> = {},
  second: Partial<StagingOptions> = {},
) {
  const options = { logger, heartbeatMs: 1000, staleAfterMs: 10_000, now: () => clock.now };
  const a = await StagingArea.open(root, { ...options, host: "host-a", pid: 10, ...first });
  const b = await StagingArea.open(root, { ...options, host: "host-b", pid: 20, ...second });
  return { a, b };
}

const folders = async (root: string) => (await readdir(root)).sort();

test("a server's folder names its owner; another host's is kept while its heartbeat moves", async () => {
  const root = scratch("beats");
  const clock = { now: 1_000_000 };
  const { a, b } = await twoServers(root, clock);
  const owner = JSON.parse(await readFile(join(a.dir, "owner.json"), "utf8")) as Record<
    string,
    unknown
  >;
  assert.equal(owner.server, a.id);
  assert.equal(owner.host, "host-a");
  assert.equal(owner.pid, 10);
  await writeFile(join(a.dir, "upload-1"), "in progress");

  for (let i = 0; i < 5; i++) {
    clock.now += 9_000;
    await a.heartbeat();
    assert.deepEqual(await b.sweep(), [], "a beats: its folder stays");
  }
  // a stops beating (a kill -9 on another machine): gone once still for staleAfterMs.
  clock.now += 9_000;
  assert.deepEqual(await b.sweep(), []);
  clock.now += 1_001;
  assert.deepEqual(await b.sweep(), [a.id]);
  assert.deepEqual(await folders(root), [b.id]);
  // The owner, alive after all, takes its folder back on its next beat.
  await a.heartbeat();
  assert.deepEqual(await folders(root), [a.id, b.id].sort());
});

test("on the same host, a server whose process is gone loses its folder after two beats", async () => {
  const root = scratch("gone");
  const clock = { now: 2_000_000 };
  const running = new Set([10, 20]);
  const isRunning = (pid: number) => running.has(pid);
  const { a, b } = await twoServers(
    root,
    clock,
    { host: "same", isRunning },
    { host: "same", isRunning },
  );
  running.delete(10);
  clock.now += 1_500;
  assert.deepEqual(await b.sweep(), [], "not two beats yet");
  clock.now += 600;
  assert.deepEqual(await b.sweep(), [a.id]);

  // A process that runs keeps its folder until its heartbeat is stale.
  const c = await StagingArea.open(root, {
    logger,
    heartbeatMs: 1000,
    staleAfterMs: 10_000,
    now: () => clock.now,
    host: "same",
    pid: 20,
    isRunning,
  });
  clock.now += 9_000;
  assert.deepEqual(await b.sweep(), []);
  clock.now += 1_000;
  assert.deepEqual(await b.sweep(), [c.id]);
});

test("a folder without an owner file goes once it stood still for the bound; one's own never", async () => {
  const root = scratch("ownerless");
  const clock = { now: 3_000_000 };
  const { a } = await twoServers(root, clock);
  await mkdir(join(root, "half-made"));
  assert.deepEqual(await a.sweep(), []);
  clock.now += 60_000;
  const removed = await a.sweep();
  assert.ok(removed.includes("half-made"), removed.join());
  assert.ok(!removed.includes(a.id));
  assert.ok((await folders(root)).includes(a.id));
});

test("close removes the server's own folder; paths it hands out are fresh", async () => {
  const root = scratch("close");
  const area = await StagingArea.open(root, { logger });
  const one = area.newPath("upload");
  const two = area.newPath("upload");
  assert.notEqual(one, two);
  assert.ok(one.startsWith(`${area.dir}/upload-`));
  assert.ok(area.newPath("delete").startsWith(`${area.dir}/delete-`));
  await area.close();
  assert.deepEqual(await folders(root), []);
});
