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

test("told by their files: a digest the server lists decides, whatever the numbers", () => {
  const hashed: ServedModel[] = [
    {
      name: "iris",
      labels: {},
      versions: [
        { ...version("2"), contentDigest: "sha256:bb" },
        { ...version("1", "END"), contentDigest: "sha256:aa" },
      ],
    },
  ];
  const found = [exported("iris", "1"), exported("iris", "2"), exported("iris", "3")];
  const digests = new Map([
    ["models/iris/1", "sha256:aa"], // served as v1
    ["models/iris/2", "sha256:cc"], // the workspace's v2 is another model than the server's v2
    ["models/iris/3", "sha256:bb"], // the server's v2, exported again
  ]);
  assert.deepEqual(
    exportedNotServed(found, hashed, digests).map((e) => e.version),
    ["2"],
  );
  // A folder not hashed (too large, no WebCrypto) falls back to numbers.
  assert.deepEqual(
    exportedNotServed(found, hashed, new Map([["models/iris/2", "sha256:cc"]])).map(
      (e) => e.version,
    ),
    ["2", "3"],
  );
  // A folder deployed from here is served by the version it became until that is hashed.
  const unhashed: ServedModel[] = [
    { name: "iris", labels: {}, versions: [version("9"), ...hashed[0]!.versions] },
  ];
  const uploads = [{ path: "models/iris/2", fingerprint: undefined, version: "9" }];
  assert.deepEqual(exportedNotServed(found, unhashed, digests, uploads), []);
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
