import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { scratchFolder } from "../testing/scratch-folder";
import { openStateServer } from "../testing/state-server";
import { MemoryLabelState, RepositoryLabelState, type LabelMap } from "./label-state";

const scratch = scratchFolder("servable-labels-");

/** The label state as one server on `repository` sees it, and the errors it logs. */
async function server(repository: string) {
  const { layout, staging, logger, errors } = await openStateServer(repository);
  const labels = new RepositoryLabelState(layout, () => staging.dir, logger, staging.id);
  return { labels, layout, errors };
}

const plain = (labels: LabelMap) =>
  Object.fromEntries([...labels].map(([model, map]) => [model, Object.fromEntries(map)]));

test("labels written by two servers are one file each, and both servers read both", async () => {
  const repository = scratch("two");
  const a = await server(repository);
  const b = await server(repository);
  await Promise.all([a.labels.set("iris", "stable", 1), b.labels.set("iris", "canary", 2)]);
  await a.labels.refresh();
  await b.labels.refresh();
  assert.deepEqual(plain(a.labels.current()), { iris: { canary: 2, stable: 1 } });
  assert.deepEqual(plain(b.labels.current()), plain(a.labels.current()));
  assert.deepEqual((await readdir(a.layout.labelsDir("iris"))).sort(), [
    "canary.json",
    "stable.json",
  ]);
  const record = JSON.parse(await readFile(a.layout.labelFile("iris", "stable"), "utf8")) as {
    version: number;
  };
  assert.equal(record.version, 1);

  assert.equal(await b.labels.delete("iris", "stable"), true);
  assert.equal(await a.labels.delete("iris", "stable"), false, "already gone");
  await a.labels.refresh();
  assert.deepEqual(plain(a.labels.current()), { iris: { canary: 2 } });
});

test("the same label written at once by many servers ends with one version all of them read", async () => {
  const repository = scratch("same");
  const servers = await Promise.all([1, 2, 3, 4].map(() => server(repository)));
  await Promise.all(
    servers.flatMap((s, i) =>
      [0, 1, 2, 3, 4].map((round) => s.labels.set("iris", "stable", i * 10 + round)),
    ),
  );
  const seen = new Set<number | undefined>();
  for (const s of servers) {
    await s.labels.refresh();
    seen.add(s.labels.current().get("iris")?.get("stable"));
  }
  assert.equal(seen.size, 1);
  assert.ok(typeof [...seen][0] === "number");
  assert.deepEqual(await readdir(servers[0]!.layout.labelsDir("iris")), ["stable.json"]);
});

test("a file a tool writes is read; one caught half-written keeps the version last read", async () => {
  const repository = scratch("gitops");
  const { labels, layout, errors } = await server(repository);
  await mkdir(layout.labelsDir("iris"), { recursive: true });
  await writeFile(layout.labelFile("iris", "stable"), '{"version": 3}\n');
  await writeFile(layout.labelFile("iris", "canary"), '{"version": "4"}');
  await writeFile(join(layout.labelsDir("iris"), "bad-name.json"), '{"version": 1}');
  await writeFile(join(layout.labelsDir("iris"), "notes.txt"), "not a label");
  await labels.refresh();
  assert.deepEqual(plain(labels.current()), { iris: { canary: 4, stable: 3 } });

  await writeFile(layout.labelFile("iris", "stable"), '{"vers');
  await labels.refresh();
  assert.equal(labels.current().get("iris")?.get("stable"), 3);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /stable.json is not \{"version": N\}: label stable of iris keeps/);
  await writeFile(layout.labelFile("iris", "stable"), '{"version": 5}');
  await labels.refresh();
  assert.equal(labels.current().get("iris")?.get("stable"), 5);
  for (const bad of ['{"version": -1}', "[3]", '{"__proto__": {"version": 2}}', "null"]) {
    await writeFile(layout.labelFile("iris", "odd"), bad);
    await labels.refresh();
    assert.equal(labels.current().get("iris")?.get("odd"), undefined, bad);
  }
});

test("names are data: a model and a label named __proto__ are stored and read back", async () => {
  const repository = scratch("protos");
  const { labels } = await server(repository);
  await labels.set("__proto__", "__proto__", 1);
  await labels.set("constructor", "hasOwnProperty", 2);
  await labels.refresh();
  assert.equal(labels.current().get("__proto__")?.get("__proto__"), 1);
  assert.equal(labels.current().get("constructor")?.get("hasOwnProperty"), 2);
  assert.equal(({} as Record<string, unknown>).__proto__, Object.prototype);

  const memory = new MemoryLabelState();
  await memory.set("__proto__", "constructor", 1);
  assert.equal(memory.current().get("__proto__")?.get("constructor"), 1);
  assert.equal(await memory.delete("__proto__", "constructor"), true);
  assert.equal(await memory.delete("__proto__", "constructor"), false);
  assert.equal(memory.current().size, 0);
});
