import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readTfRecordFile, requestLogFiles } from "@servable/protocol";
import { RotatingRecordFile } from "./rotating-record-file";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rotating-record-file-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const record = (i: number) => new TextEncoder().encode(`record ${String(i).padStart(3, "0")}`);
/** A framed record of `record(i)`: 12 + 10 + 4 bytes. */
const FRAMED = 26;

async function readAll(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of await requestLogFiles(prefix)) {
    for (const r of await readTfRecordFile(file.path)) out.push(Buffer.from(r).toString());
  }
  return out;
}

test("a new file starts before a record would pass the size bound; old files go beyond the count", async () => {
  const prefix = join(dir, "logs", "model");
  const file = new RotatingRecordFile(prefix, {
    maxFileBytes: 3 * FRAMED,
    maxFiles: 3,
    maxPendingBytes: 1 << 20,
  });
  await Promise.all(Array.from({ length: 10 }, (_, i) => file.append(record(i))));
  await file.close();
  const files = await requestLogFiles(prefix);
  // 10 records, 3 a file: files 0-3, of which the newest 3 are kept.
  assert.deepEqual(
    files.map((f) => f.path),
    [1, 2, 3].map((i) => `${prefix}-0000${i}.tfrecord`),
  );
  for (const f of files) assert.ok((await stat(f.path)).size <= 3 * FRAMED);
  assert.deepEqual(
    await readAll(prefix),
    [3, 4, 5, 6, 7, 8, 9].map((i) => `record ${String(i).padStart(3, "0")}`),
  );

  // A restart continues the numbering: nothing is overwritten.
  const again = new RotatingRecordFile(prefix, {
    maxFileBytes: 3 * FRAMED,
    maxFiles: 0,
    maxPendingBytes: 1 << 20,
  });
  await again.append(record(10));
  await again.close();
  assert.equal((await requestLogFiles(prefix)).at(-1)?.index, 4);
});

test("a record bigger than the bound gets a file of its own", async () => {
  const prefix = join(dir, "big");
  const file = new RotatingRecordFile(prefix, {
    maxFileBytes: 10,
    maxFiles: 0,
    maxPendingBytes: 1 << 20,
  });
  await file.append(record(1));
  await file.append(record(2));
  await file.close();
  assert.equal((await requestLogFiles(prefix)).length, 2);
});

test("a write that fails rejects that record only; one over the pending bound is refused at once", async () => {
  const blocker = join(dir, "not-a-folder");
  await writeFile(blocker, "a file where the log's folder should be");
  const file = new RotatingRecordFile(join(blocker, "model"), {
    maxFileBytes: 1 << 20,
    maxFiles: 0,
    maxPendingBytes: 1 << 20,
  });
  await assert.rejects(file.append(record(1)), /ENOTDIR|EEXIST/);
  await assert.rejects(file.append(record(2)), /ENOTDIR|EEXIST/);
  await file.close();

  const small = new RotatingRecordFile(join(dir, "small"), {
    maxFileBytes: 1 << 20,
    maxFiles: 0,
    maxPendingBytes: FRAMED,
  });
  const first = small.append(record(1));
  await assert.rejects(
    small.append(record(2)),
    (e: Error & { code?: string }) => e.code === "RESOURCE_EXHAUSTED",
  );
  await first;
  await small.close();
  assert.deepEqual(await readAll(join(dir, "small")), ["record 001"]);
});
