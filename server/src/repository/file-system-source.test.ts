import assert from "node:assert/strict";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import pino from "pino";
import { FileSystemStoragePathSource, type StoragePathVersion } from "./file-system-source";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "servable-source-"));
});
after(() => rm(root, { recursive: true, force: true }));

/** A source that records every aspired list it emits, and the warnings it logs. */
function recordingSource(pollWaitSeconds = 0) {
  const emitted: { name: string; versions: number[]; paths: string[] }[] = [];
  const warnings: string[] = [];
  const logger = pino(
    { level: "warn" },
    { write: (line: string) => warnings.push(JSON.parse(line).msg) },
  );
  const source = new FileSystemStoragePathSource(
    (name: string, versions: readonly StoragePathVersion[]) =>
      emitted.push({
        name,
        versions: versions.map((v) => v.version),
        paths: versions.map((v) => v.path),
      }),
    { pollWaitSeconds, logger },
  );
  return { source, emitted, warnings };
}

const latest = { kind: "latest", numVersions: 1 } as const;

test("integer-named directories are versions; the policy picks; paths keep the name", async () => {
  const base = join(root, "m1");
  for (const dir of ["1", "00000007", "3.tmp", "notes"])
    await mkdir(join(base, dir), { recursive: true });
  await writeFile(join(base, "12"), "a file, not a directory");
  const { source, emitted } = recordingSource();
  await source.setModels([{ name: "m1", basePath: base, versionPolicy: { kind: "all" } }]);
  assert.deepEqual(emitted, [
    { name: "m1", versions: [7, 1], paths: [join(base, "00000007"), join(base, "1")] },
  ]);
});

test("emits only when the aspired list changes; a new version replaces the old", async () => {
  const base = join(root, "m2");
  await mkdir(join(base, "1"), { recursive: true });
  const { source, emitted } = recordingSource();
  await source.setModels([{ name: "m2", basePath: base, versionPolicy: latest }]);
  await source.poll();
  assert.equal(emitted.length, 1);
  // A version is written elsewhere and renamed into place, as uploads do.
  await mkdir(join(base, ".incoming"));
  await rename(join(base, ".incoming"), join(base, "2"));
  await source.poll();
  assert.deepEqual(
    emitted.map((e) => e.versions),
    [[1], [2]],
  );
  await rm(join(base, "2"), { recursive: true });
  await source.poll();
  assert.deepEqual(emitted.at(-1)!.versions, [1], "a removed version leaves the list");
});

test("a model dropped from the config gets an empty list", async () => {
  const base = join(root, "m3");
  await mkdir(join(base, "1"), { recursive: true });
  const { source, emitted } = recordingSource();
  await source.setModels([{ name: "m3", basePath: base, versionPolicy: latest }]);
  await source.setModels([]);
  assert.deepEqual(emitted.at(-1), { name: "m3", versions: [], paths: [] });
});

test("a model dropped while a poll is under way stays dropped", async () => {
  const base = join(root, "m5");
  await mkdir(join(base, "1"), { recursive: true });
  const { source, emitted } = recordingSource();
  await source.setModels([{ name: "m5", basePath: base, versionPolicy: latest }]);
  await mkdir(join(base, "2"));
  const underWay = source.poll(); // reads the base path of m5...
  await source.setModels([]); // ...while m5 leaves the config
  await underWay;
  assert.deepEqual(emitted.at(-1), { name: "m5", versions: [], paths: [] });
});

test("a model added while a poll is under way is polled before setModels resolves", async () => {
  const first = join(root, "m6");
  const second = join(root, "m7");
  await mkdir(join(first, "1"), { recursive: true });
  await mkdir(join(second, "3"), { recursive: true });
  const { source, emitted } = recordingSource();
  await source.setModels([{ name: "m6", basePath: first, versionPolicy: latest }]);
  const underWay = source.poll();
  await source.setModels([
    { name: "m6", basePath: first, versionPolicy: latest },
    { name: "m7", basePath: second, versionPolicy: latest },
  ]);
  assert.deepEqual(emitted.at(-1), { name: "m7", versions: [3], paths: [join(second, "3")] });
  await underWay;
});

test("no versions: TF Serving's warning; unreadable base path: keeps what serves", async () => {
  const empty = join(root, "empty");
  await mkdir(empty);
  const { source, emitted, warnings } = recordingSource();
  await source.setModels([
    { name: "empty", basePath: empty, versionPolicy: latest },
    { name: "gone", basePath: join(root, "does-not-exist"), versionPolicy: latest },
  ]);
  await source.poll();
  assert.ok(
    warnings.includes(
      `No versions of servable empty found under base path ${empty}. Did you forget to name your leaf directory as a number (eg. '/1/')?`,
    ),
    warnings.join("\n"),
  );
  assert.equal(
    warnings.filter((w) => w.startsWith("No versions of servable empty")).length,
    1,
    "warned once",
  );
  assert.ok(
    warnings.some((w) => w.startsWith(`Unable to read base path ${join(root, "does-not-exist")}`)),
  );
  assert.deepEqual(emitted, [{ name: "empty", versions: [], paths: [] }]);
});

test("start() polls every pollWaitSeconds until stop()", async () => {
  const base = join(root, "m4");
  await mkdir(join(base, "1"), { recursive: true });
  const { source, emitted } = recordingSource(1);
  await source.setModels([{ name: "m4", basePath: base, versionPolicy: latest }]);
  source.start();
  try {
    await mkdir(join(base, "5"));
    const deadline = Date.now() + 5_000;
    while (emitted.at(-1)!.versions[0] !== 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(emitted.at(-1)!.versions, [5]);
  } finally {
    source.stop();
  }
});
