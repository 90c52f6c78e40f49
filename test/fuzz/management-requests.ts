import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { DEMO_REPOSITORY } from "../support";
import type { HttpRequest } from "./http-requests";
import { anyJsonText, mostly, nameText, numberText, PROTOTYPE_NAMES, quote } from "./json-text";

/**
 * Management API calls (docs/management-api.md), all with the token unless said otherwise:
 * uploads (multipart bodies whole, cut short, with odd paths and model files), labels,
 * deletes and rollouts, on scratch models and names that are JavaScript internals. The seed models are
 * labelled but never uploaded to or deleted, so that their answers must stay the same.
 */
export interface ManagementRequest extends HttpRequest {
  /** False when the call is sent without the token (or with a wrong one). */
  readonly withToken: boolean;
}

const DEMO_VERSION = join(DEMO_REPOSITORY, "half_plus_two", "1");
const DEMO_FILES: readonly (readonly [string, Buffer])[] = [
  "model.json",
  "group1-shard1of1.bin",
  "signatures.json",
].map((f) => [f, readFileSync(join(DEMO_VERSION, f))] as const);

const SCRATCH = ["fuzzed", "fuzzed_2"] as const;

/** A model name to change: a scratch one mostly, else prototype names and names the rule refuses. */
const targetModel: fc.Arbitrary<string> = mostly(
  fc.constantFrom(...SCRATCH),
  fc.oneof(
    fc.constantFrom(...PROTOTYPE_NAMES),
    fc.constantFrom(".hidden", "a..b", "-x", "x%2Fy", "%2e%2e", "%00", "a".repeat(300), "%ZZ"),
    nameText([]).map(encodeURIComponent),
  ),
  4,
);

/** Model files: the demo's, one changed or dropped, paths that escape, or none. */
type Files = (readonly [string, Buffer])[];

const files: fc.Arbitrary<Files> = fc.oneof(
  { arbitrary: fc.constant<Files>([...DEMO_FILES]), weight: 6 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          "{",
          '{"weightsManifest": 5}',
          '{"format": "graph-model", "modelTopology": {}, "weightsManifest": [{"paths": [123], "weights": []}]}',
          '{"modelTopology": {"node": []}, "weightsManifest": []}',
          "",
        ),
        fc.boolean(),
      )
      .map(([modelJson, withRest]): Files => [
        ["model.json", Buffer.from(modelJson)] as const,
        ...(withRest ? DEMO_FILES.slice(1) : []),
      ]),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          "../model.json",
          "/abs/model.json",
          "a/../model.json",
          "",
          ".",
          "__proto__",
          "constructor",
          "variables/../../x",
          "model.json",
          "a\\b",
          "é",
        ),
        fc.uint8Array({ maxLength: 16 }),
      )
      .map(([path, data]): Files => [...DEMO_FILES, [path, Buffer.from(data)] as const]),
    weight: 2,
  },
  { arbitrary: fc.constant<Files>([]), weight: 1 },
);

const BOUNDARY = "fuzzboundary7MA4YWxkTrZu0gW";

/** A multipart body, and where its first file's data starts (a cut there ends a file early). */
function multipart(
  parts: readonly (readonly [string, Buffer])[],
  textField: boolean,
): { body: Buffer; firstData: number } {
  const chunks: Buffer[] = [];
  let firstData = -1;
  for (const [path, data] of parts) {
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name=${quote(path)}; filename=${quote(path)}\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    if (firstData < 0) firstData = chunks.reduce((n, c) => n + c.length, 0);
    chunks.push(data, Buffer.from("\r\n"));
  }
  if (textField) {
    chunks.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
    );
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { body: Buffer.concat(chunks), firstData: Math.max(0, firstData) };
}

const upload: fc.Arbitrary<ManagementRequest> = fc
  .record({
    name: targetModel,
    query: mostly(
      fc.constant(""),
      fc.constantFrom(
        "?version=7",
        "?version=abc",
        "?version=-1",
        "?version=99999999999999999999",
        "?version=__proto__",
        "?version=1&version=2",
      ),
      4,
    ),
    parts: files,
    textField: mostly(fc.constant(false), fc.constant(true), 10),
    framing: fc.oneof(
      { arbitrary: fc.constant<"whole">("whole"), weight: 8 },
      { arbitrary: fc.constantFrom<"cut" | "cut-in-file">("cut", "cut-in-file"), weight: 2 },
      {
        arbitrary: fc.constantFrom<"boundary" | "json" | "none">("boundary", "json", "none"),
        weight: 1,
      },
    ),
    cutAt: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ name, query, parts, textField, framing, cutAt }) => {
    const { body: whole, firstData } = multipart(parts, textField);
    let body = whole;
    let contentType = `multipart/form-data; boundary=${BOUNDARY}`;
    if (framing === "cut") body = whole.subarray(0, Math.floor(whole.length * cutAt));
    if (framing === "cut-in-file") body = whole.subarray(0, firstData + Math.floor(2 * cutAt));
    if (framing === "boundary") contentType = "multipart/form-data; boundary=other";
    if (framing === "json") contentType = "application/json";
    const headers: Record<string, string> =
      framing === "none" ? {} : { "Content-Type": contentType };
    return {
      kind: `upload/${framing}`,
      method: "POST",
      path: `/v1/models/${name}/versions${query}`,
      headers,
      body,
      withToken: true,
    };
  });

/** A model to label: a seed model, a scratch one, or a name that is no model. */
const labelledModel = mostly(
  fc.constantFrom("half_plus_two", "mixed", ...SCRATCH),
  fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom("nope", "%ZZ", ".x")),
  3,
);
const labelName = mostly(
  fc.constantFrom("stable", "canary"),
  fc.oneof(
    fc.constantFrom(...PROTOTYPE_NAMES),
    // The label names of the request metrics: a polluted prototype would add them to every label set.
    fc.constantFrom("signature_name", "model_name", "version", "status", "API"),
    fc.constantFrom("a-b", "%00", "x".repeat(300), "%ZZ"),
  ),
  2,
);

const setLabel: fc.Arbitrary<ManagementRequest> = fc
  .record({
    name: labelledModel,
    label: labelName,
    body: fc.oneof(
      { arbitrary: fc.constantFrom(1, 2, 3).map((v) => `{"version": ${v}}`), weight: 6 },
      {
        arbitrary: fc.constantFrom('{"version": "1"}', '{"version": "x"}', "{}", "[]", "", "{"),
        weight: 2,
      },
      { arbitrary: numberText.map((n) => `{"version": ${n}}`), weight: 2 },
      { arbitrary: anyJsonText.map((v) => `{"version": ${v}}`), weight: 1 },
      { arbitrary: fc.constant('{"__proto__": {"version": 1}}'), weight: 1 },
    ),
  })
  .map(({ name, label, body }) => ({
    kind: "label/put",
    method: "PUT",
    path: `/v1/models/${name}/labels/${label}`,
    headers: { "Content-Type": "application/json" },
    body: Buffer.from(body),
    withToken: true,
  }));

/** A DELETE of `path`: no body, with the token. */
const deleteCall = (kind: string, path: string): ManagementRequest => ({
  kind,
  method: "DELETE",
  path,
  headers: {},
  body: Buffer.alloc(0),
  withToken: true,
});

const deleteLabel: fc.Arbitrary<ManagementRequest> = fc
  .record({ name: labelledModel, label: labelName })
  .map(({ name, label }) => deleteCall("label/delete", `/v1/models/${name}/labels/${label}`));

const deleteVersion: fc.Arbitrary<ManagementRequest> = fc
  .record({
    name: targetModel,
    version: fc.constantFrom("1", "2", "3", "0", "99999999999999999999", "x", "-1", "__proto__"),
  })
  .map(({ name, version }) =>
    deleteCall("version/delete", `/v1/models/${name}/versions/${version}`),
  );

/** Rollout calls (docs/rollouts.md): starts, changes, promotes, rollbacks and ends, bodies good and bad. */
const rolloutCall: fc.Arbitrary<ManagementRequest> = fc
  .record({
    name: labelledModel,
    call: fc.constantFrom<[method: string, action: string]>(
      ["PUT", ""],
      ["POST", ":promote"],
      ["POST", ":rollback"],
      ["DELETE", ""],
      ["GET", ""],
    ),
    body: fc.oneof(
      {
        arbitrary: fc
          .record({
            candidate: fc.constantFrom(1, 2, 3),
            share: fc.constantFrom(0, 0.5, 1),
            shadow: fc.constantFrom(0, 1),
          })
          .map((r) => JSON.stringify(r)),
        weight: 4,
      },
      {
        arbitrary: fc.constantFrom(
          "",
          "{",
          "[]",
          '{"candidate": "2", "stable": "1"}',
          '{"candidate": 2, "share": 2}',
          '{"candidate": 2, "guard": {"min_requests": 0.5}}',
          '{"candidate": 2, "guard": null}',
          '{"candidate": 2, "guard": {"__proto__": {"window_seconds": 0}}}',
          '{"__proto__": {"candidate": 1}}',
          '{"delete_candidate": true}',
          '{"delete_candidate": "yes"}',
        ),
        weight: 3,
      },
      { arbitrary: anyJsonText.map((v) => `{"candidate": ${v}, "share": ${v}}`), weight: 1 },
    ),
  })
  .map(({ name, call: [method, action], body }) => ({
    kind: `rollout/${method.toLowerCase()}${action}`,
    method,
    path: `/v1/models/${name}/rollout${action}`,
    headers: { "Content-Type": "application/json" },
    body: method === "GET" || method === "DELETE" ? Buffer.alloc(0) : Buffer.from(body),
    withToken: true,
  }));

export function managementRequest(): fc.Arbitrary<ManagementRequest> {
  const call = fc.oneof(
    { arbitrary: upload, weight: 4 },
    { arbitrary: setLabel, weight: 3 },
    { arbitrary: deleteLabel, weight: 2 },
    { arbitrary: deleteVersion, weight: 2 },
    { arbitrary: rolloutCall, weight: 2 },
  );
  return fc
    .tuple(call, mostly(fc.constant(true), fc.constant(false), 15))
    .map(([req, withToken]) =>
      withToken ? req : { ...req, kind: `${req.kind}/no-token`, withToken },
    );
}

/**
 * A model named like a JavaScript internal, uploaded, labelled with the name of a metrics
 * label once it serves, then a predict on a seed model: the sequence that polluted
 * Object.prototype (issue 12, finding 2).
 */
export function prototypeModelScenario(
  model: string,
  label: string,
): {
  upload: ManagementRequest;
  label: ManagementRequest;
} {
  return {
    upload: {
      kind: "scenario/prototype-model upload",
      method: "POST",
      path: `/v1/models/${model}/versions`,
      headers: { "Content-Type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: multipart(DEMO_FILES, false).body,
      withToken: true,
    },
    label: {
      kind: "scenario/prototype-model label",
      method: "PUT",
      path: `/v1/models/${model}/labels/${label}`,
      headers: { "Content-Type": "application/json" },
      body: Buffer.from('{"version": 1}'),
      withToken: true,
    },
  };
}
