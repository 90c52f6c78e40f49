import assert from "node:assert/strict";
import { test } from "node:test";
import type { VersionStateEvent } from "@servable/protocol/wire";
import type { ServedModel } from "./tokens";
import {
  formatDuration,
  pushedKey,
  transitionText,
  VersionHistories,
  withPushedStates,
  withTransitions,
  type PushedState,
} from "./transitions";

const event = (
  version: string,
  state: VersionStateEvent["state"],
  at: number,
  errorCode = "OK",
): VersionStateEvent => ({
  name: "iris",
  version,
  state,
  since: new Date(at).toISOString(),
  status: { error_code: errorCode, error_message: errorCode === "OK" ? "" : "bad file" },
});

test("a load's transitions, timed by the server's clock; START's bookkeeping left out", () => {
  const histories = new VersionHistories();
  for (const e of [
    event("1", "START", 1000),
    event("1", "LOADING", 1001),
    event("1", "AVAILABLE", 1007),
  ]) {
    assert.ok(histories.record(e));
  }
  const transitions = histories.transitions("iris", "1");
  assert.deepEqual(transitions, [
    { from: "LOADING", to: "AVAILABLE", ms: 6, at: 1007, failed: false },
  ]);
  assert.equal(transitionText(transitions[0]!), "LOADING → AVAILABLE in 6 ms");
  // A replay of what is known already changes nothing.
  assert.equal(histories.record(event("1", "AVAILABLE", 1007)), false);
  assert.equal(histories.transitions("iris", "1").length, 1);
});

test("a failed load reads FAILED; time spent AVAILABLE reads 'after'", () => {
  const histories = new VersionHistories();
  histories.record(event("2", "LOADING", 0));
  histories.record(event("2", "END", 1200, "INVALID_ARGUMENT"));
  assert.equal(transitionText(histories.transitions("iris", "2")[0]!), "LOADING → FAILED in 1.2 s");
  histories.record(event("3", "AVAILABLE", 0));
  histories.record(event("3", "UNLOADING", 240_000));
  assert.equal(
    transitionText(histories.transitions("iris", "3")[0]!),
    "AVAILABLE → UNLOADING after 4 min",
  );
  assert.equal(formatDuration(0.4), "0 ms");
  assert.equal(formatDuration(7_200_000), "2.0 h");
});

const listed: ServedModel[] = [
  {
    name: "iris",
    labels: { stable: "1" },
    versions: [
      { version: "1", state: "AVAILABLE", errorCode: "OK", errorMessage: "", labels: ["stable"] },
    ],
  },
];

test("states pushed after the listing was asked for win over it; older ones are in it", () => {
  const pushed = new Map<string, PushedState>([
    [pushedKey("iris", "2"), { event: event("2", "LOADING", 5), receivedAt: 200 }],
    [pushedKey("iris", "1"), { event: event("1", "UNLOADING", 5), receivedAt: 50 }],
  ]);
  const merged = withPushedStates(listed, pushed, 100);
  assert.deepEqual(
    merged[0]!.versions.map((v) => `${v.version}:${v.state}`),
    ["2:LOADING", "1:AVAILABLE"],
  );
  // A new model's first version appears from its push; one that ended does not.
  const newModel = withPushedStates(
    [],
    new Map([
      ["a", { event: { ...event("1", "LOADING", 1), name: "mnist" }, receivedAt: 10 }],
      ["b", { event: { ...event("4", "END", 1), name: "gone" }, receivedAt: 10 }],
    ]),
    0,
  );
  assert.deepEqual(
    newModel.map((m) => [m.name, m.versions.map((v) => v.state)]),
    [["mnist", ["LOADING"]]],
  );
  // The listing given is left as it was.
  assert.equal(listed[0]!.versions.length, 1);
});

test("transitions join the versions that have some", () => {
  const histories = new VersionHistories();
  histories.record(event("1", "LOADING", 0));
  histories.record(event("1", "AVAILABLE", 9));
  const [model] = withTransitions(listed, histories);
  assert.equal(model!.versions[0]!.transitions?.[0]?.ms, 9);
  assert.equal(
    withTransitions(listed, new VersionHistories())[0]!.versions[0]!.transitions,
    undefined,
  );
});
