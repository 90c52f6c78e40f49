import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { scratchFolder } from "../testing/scratch-folder";
import { openStateServer } from "../testing/state-server";
import { DEFAULT_GUARD, parseRolloutRecord, type RolloutRecord } from "./rollout-record";
import { MemoryRolloutState, RepositoryRolloutState } from "./rollout-state";

const scratch = scratchFolder("servable-rollouts-");

/** The rollout state as one server on `repository` sees it, and the errors it logs. */
async function server(repository: string) {
  const { layout, staging, logger, errors } = await openStateServer(repository);
  const state = new RepositoryRolloutState(layout, () => staging.dir, logger);
  return { state, layout, errors };
}

const record = (fields: Partial<RolloutRecord> = {}): RolloutRecord => ({
  candidate: 3,
  share: 0.1,
  shadow: 0,
  state: "running",
  reason: "",
  started_at: "2026-12-02T10:00:00.000Z",
  updated_at: "2026-12-02T10:00:00.000Z",
  updated_by: "a",
  ...fields,
});

test("a record written by one server is read by another, and pins its candidate", async () => {
  const repository = scratch("two");
  const a = await server(repository);
  const b = await server(repository);
  await a.state.write("iris", record({ guard: DEFAULT_GUARD }));
  assert.deepEqual(b.state.current().get("iris"), undefined, "not read yet");
  await b.state.refresh();
  assert.deepEqual(b.state.current().get("iris"), record({ guard: DEFAULT_GUARD }));
  assert.deepEqual(b.state.pinnedVersions("iris"), [3]);
  assert.deepEqual(b.state.pinnedVersions("other"), []);
  const text = await readFile(a.layout.rolloutFile("iris"), "utf8");
  assert.equal(
    text,
    '{"candidate":3,"share":0.1,"shadow":0,"state":"running","reason":"","guard":{"window_seconds":60,"min_requests":20,"max_error_rate_increase":0.05,"max_p99_ratio":2},"started_at":"2026-12-02T10:00:00.000Z","updated_at":"2026-12-02T10:00:00.000Z","updated_by":"a"}\n',
  );

  assert.equal(await b.state.remove("iris"), true);
  assert.equal(await b.state.remove("iris"), false);
  await a.state.refresh();
  assert.equal(a.state.current().size, 0);
});

test("a file an operator writes needs only the candidate; a broken one keeps the record last read", async () => {
  const repository = scratch("operator");
  const a = await server(repository);
  await a.state.write("iris", record());
  await writeFile(a.layout.rolloutFile("iris"), '{"candidate": "4", "guard": {"min_requests": 5}}');
  await a.state.refresh();
  assert.deepEqual(a.state.current().get("iris"), {
    candidate: 4,
    share: 0,
    shadow: 0,
    state: "running",
    reason: "",
    guard: { ...DEFAULT_GUARD, min_requests: 5 },
    started_at: "",
    updated_at: "",
    updated_by: "",
  });
  await writeFile(a.layout.rolloutFile("iris"), '{"candidate": 4, "share": 1.5}');
  await a.state.refresh();
  assert.equal(a.state.current().get("iris")?.candidate, 4, "kept");
  assert.match(
    a.errors.join("\n"),
    /"share" is not a number in \[0, 1\].*keeps the rollout last read/,
  );
});

test("replaceIf writes only over the record it was given, on every server", async () => {
  const repository = scratch("replace");
  const a = await server(repository);
  const b = await server(repository);
  const running = record();
  await a.state.write("iris", running);
  await b.state.refresh();
  // A changes the rollout; B, which judged the old one, must not write over it.
  const changed = record({ share: 0.5, updated_at: "2026-12-02T10:01:00.000Z" });
  await a.state.write("iris", changed);
  const rolledBack = record({ share: 0, state: "rolled_back", reason: "error_rate: ..." });
  assert.equal(await b.state.replaceIf("iris", running, rolledBack), "changed");
  assert.deepEqual(b.state.current().get("iris"), changed, "B now holds what it found");
  assert.equal(await b.state.replaceIf("iris", changed, rolledBack), "written");
  await a.state.refresh();
  assert.deepEqual(a.state.current().get("iris"), rolledBack);
  // The same verdict from A afterwards writes nothing.
  assert.equal(await a.state.replaceIf("iris", changed, rolledBack), "changed");
});

test("servers deciding on the same record at once: exactly one writes", async () => {
  const repository = scratch("decide");
  const servers = await Promise.all([1, 2, 3, 4].map(() => server(repository)));
  const running = record();
  await servers[0]!.state.write("iris", running);
  await Promise.all(servers.map((s) => s.state.refresh()));
  const wrote = await Promise.all(
    servers.map((s, i) =>
      s.state.replaceIf("iris", running, record({ state: "rolled_back", reason: `by ${i}` })),
    ),
  );
  assert.deepEqual(
    [...wrote].sort(),
    ["taken", "taken", "taken", "written"],
    `outcomes: ${wrote.join(", ")}`,
  );
  await servers[1]!.state.refresh();
  assert.equal(servers[1]!.state.current().get("iris")!.reason, `by ${wrote.indexOf("written")}`);
  // Ending the rollout clears its decisions: the same record started again may be judged again.
  await servers[0]!.state.remove("iris");
  await servers[0]!.state.write("iris", running);
  assert.equal(await servers[2]!.state.replaceIf("iris", running, record({ share: 0 })), "written");
});

test("the memory state behaves alike", async () => {
  const state = new MemoryRolloutState();
  await state.write("iris", record());
  assert.deepEqual(state.pinnedVersions("iris"), [3]);
  assert.equal(
    await state.replaceIf("iris", record({ share: 0.2 }), record({ share: 0 })),
    "changed",
  );
  assert.equal(await state.replaceIf("iris", record(), record({ share: 0 })), "written");
  assert.equal(state.current().get("iris")?.share, 0);
  assert.equal(await state.remove("iris"), true);
  assert.deepEqual(state.pinnedVersions("iris"), []);
});

test("records are checked field by field", () => {
  assert.equal(parseRolloutRecord("nope"), "not JSON");
  assert.equal(parseRolloutRecord("[]"), "not a JSON object");
  assert.equal(parseRolloutRecord("{}"), '"candidate" is not a version number');
  assert.equal(parseRolloutRecord('{"candidate": -1}'), '"candidate" is not a version number');
  assert.equal(
    parseRolloutRecord('{"candidate": 1, "state": "paused"}'),
    '"state" is neither "running" nor "rolled_back"',
  );
  assert.equal(
    parseRolloutRecord('{"candidate": 1, "guard": {"max_p99_ratio": 0.5}}'),
    "Guard field max_p99_ratio must be at least 1",
  );
  assert.equal(
    parseRolloutRecord('{"candidate": 1, "guard": {"window": 5}}'),
    'Unknown guard field "window" (the fields: window_seconds, min_requests, max_error_rate_increase, max_p99_ratio)',
  );
  const parsed = parseRolloutRecord('{"candidate": 1, "__proto__": {"share": 1}}');
  assert.equal(typeof parsed === "object" && parsed.share, 0, "an inherited field is no field");
});
