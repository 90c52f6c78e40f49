import assert from "node:assert/strict";
import { test } from "node:test";
import {
  exportedNotServed,
  stillPending,
  withPendingDeploys,
  type PendingDeploy,
} from "./model-diff";
import type { ExportedVersion, ServedModel, ServedVersion } from "./tokens";

const version = (v: string, state: ServedVersion["state"] = "AVAILABLE"): ServedVersion => ({
  version: v,
  state,
  errorCode: "OK",
  errorMessage: "",
  labels: [],
});
const exported = (name: string, v: string): ExportedVersion => ({
  name,
  version: v,
  path: `models/${name}/${v}`,
});
const served: ServedModel[] = [
  { name: "iris", labels: {}, versions: [version("2"), version("1", "END")] },
];

test("exported but not served: matched on name and version number", () => {
  const found = [exported("iris", "1"), exported("iris", "3"), exported("mnist", "1")];
  assert.deepEqual(exportedNotServed(found, served), [
    exported("iris", "3"),
    exported("mnist", "1"),
  ]);
  // A version folder named 0002 is version 2.
  assert.deepEqual(
    exportedNotServed([{ ...exported("iris", "2"), path: "models/iris/0002" }], served),
    [],
  );
});

test("a failed (END) version still counts as served: its row shows the error", () => {
  assert.deepEqual(exportedNotServed([exported("iris", "1")], served), []);
});

test("an accepted upload shows under Served until the listing has it", () => {
  const pending: PendingDeploy[] = [
    { name: "iris", version: "3", state: "START", since: 0 },
    { name: "new", version: "1", state: "START", since: 0 },
    { name: "iris", version: "2", state: "START", since: 0 },
  ];
  const merged = withPendingDeploys(served, pending);
  assert.deepEqual(
    merged.map((m) => [
      m.name,
      m.versions.map((v) => `${v.version}:${v.state}${v.pending ? "*" : ""}`),
    ]),
    [
      ["iris", ["3:START*", "2:AVAILABLE", "1:END"]],
      ["new", ["1:START*"]],
    ],
  );
  // The input listing is left as it was.
  assert.equal(served[0].versions.length, 2);
});

test("a pending upload is dropped once listed, or when it is too old", () => {
  const pending: PendingDeploy[] = [
    { name: "iris", version: "2", state: "START", since: 900 },
    { name: "iris", version: "3", state: "START", since: 900 },
    { name: "iris", version: "4", state: "START", since: 0 },
  ];
  assert.deepEqual(
    stillPending(pending, served, 1000, 500).map((p) => p.version),
    ["3"],
  );
});
