import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { bentEntries } from "./bent-entries";
import { FUZZ_MODELS, type FuzzModel } from "./fuzz-models";
import {
  anyJsonText,
  breakText,
  chosenName,
  leafText,
  mostly,
  nameText,
  rarely,
  numberText,
  objectText,
  PROTOTYPE_NAMES,
  quote,
  scalarText,
  stringText,
  tensorText,
} from "./json-text";

/**
 * HTTP requests for the REST API (predict, classify, regress, status and metadata reads)
 * and KServe V2 (infer and reads), generated from the served models' signatures and then
 * bent: wrong and prototype names, dtypes, shapes, nesting, broken JSON, gzip, sizes.
 */
export interface HttpRequest {
  /** What was tried, for the tally ("predict/row", "infer", "read"...). */
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

type Signature = FuzzModel["signatures"][string];

const model = fc.constantFrom(...FUZZ_MODELS);

/** A model name in a URL: a served one mostly, else unknown, a prototype name, or odd escapes. */
function modelInUrl(served: string): fc.Arbitrary<string> {
  return mostly(
    fc.constant(served),
    fc.oneof(
      fc.constantFrom(...PROTOTYPE_NAMES),
      fc.constantFrom("nope", "%2e%2e", "a%2Fb", "%00", "%ZZ", "%E2%82%AC", "HALF_PLUS_TWO"),
    ),
    10,
  );
}

/** Nothing (the latest), a version, or a label. */
const versionOrLabel: fc.Arbitrary<string> = mostly(
  fc.constant(""),
  fc.oneof(
    fc.constantFrom("/versions/1", "/versions/2", "/versions/0"),
    fc.constantFrom("/versions/99999999999999999999", "/versions/-1", "/versions/x"),
    nameText(["stable", "canary"]).map((l) => `/labels/${encodeURIComponent(l)}`),
  ),
  8,
);

/** A signature's dimensions with every unknown one given a size (the batch's is `batch`). */
function concreteShape(info: Signature["inputs"][string], batch: number, free: number): number[] {
  return info.tensor_shape.dim.map((d, i) => {
    const size = Number(d.size);
    if (size >= 0) return size;
    return i === 0 ? batch : free;
  });
}

type Entries = (readonly [string, string])[];

/** "signature_name": absent, the chosen one, another name, or not a string. */
function signatureNameEntry(chosen: string, names: readonly string[]): fc.Arbitrary<Entries> {
  const named: Entries = [["signature_name", quote(chosen)]];
  return mostly(
    fc.constant(chosen === "serving_default" ? [] : named),
    fc.oneof(
      nameText(names).map((n): Entries => [["signature_name", quote(n)]]),
      scalarText.map((v): Entries => [["signature_name", v]]),
    ),
    10,
  );
}

/** Other top-level keys: ignored by TF Serving, or doubling a key that counts. */
const extraEntries: fc.Arbitrary<Entries> = mostly(
  fc.constant([]),
  fc.array(fc.tuple(nameText(["instances", "inputs", "examples", "context"]), anyJsonText), {
    minLength: 1,
    maxLength: 2,
  }),
  8,
);

/**
 * One entry per input of a signature (its name, a tensor of `shapeOf` its info), each
 * renamed or left out now and then, and now and then one more.
 */
function inputEntries(
  inputs: [string, Signature["inputs"][string]][],
  shapeOf: (info: Signature["inputs"][string]) => number[],
): fc.Arbitrary<Entries> {
  const names = inputs.map(([n]) => n);
  return bentEntries(
    inputs,
    (info) => tensorText(shapeOf(info), leafText(info.dtype)),
    () => names,
    fc.tuple(nameText(names), anyJsonText),
    { renamed: 30, dropped: 40, added: 30 },
  );
}

/**
 * One of the signatures `names`, a batch size, and a size for its free (-1) dimensions:
 * small, so that a body of every input stays small.
 */
const signatureAndSizes = (names: readonly string[]) => ({
  signature: fc.constantFrom(...names),
  batch: fc.integer({ min: 1, max: 3 }),
  free: fc.integer({ min: 1, max: 3 }),
});

/** A predict body for one of the model's signatures, in the row or the columnar format. */
function predictBody(m: FuzzModel): fc.Arbitrary<{ kind: string; text: string }> {
  const names = Object.keys(m.signatures);
  return fc
    .record({
      ...signatureAndSizes(names),
      format: fc.oneof(
        { arbitrary: fc.constant("row"), weight: 10 },
        { arbitrary: fc.constant("columnar"), weight: 10 },
        { arbitrary: fc.constantFrom("both", "neither"), weight: 1 },
      ),
      extra: extraEntries,
    })
    .chain(({ signature, batch, free, format, extra }) => {
      const inputs = Object.entries(m.signatures[signature]!.inputs);
      const single = inputs.length === 1;
      const row = fc
        .tuple(
          inputEntries(inputs, (info) => concreteShape(info, batch, free).slice(1)),
          mostly(fc.constant(single), fc.constant(!single), 20),
        )
        .map(([entries, bare]) =>
          bare && entries.length > 0 ? entries[0]![1] : objectText(entries),
        );
      const instances = fc
        .oneof(
          { arbitrary: fc.array(row, { minLength: batch, maxLength: batch }), weight: 20 },
          { arbitrary: fc.array(row, { maxLength: batch + 1 }), weight: 1 },
        )
        .map((rows) => `[${rows.join(", ")}]`);
      const columns = fc
        .tuple(
          inputEntries(inputs, (info) => concreteShape(info, batch, free)),
          mostly(fc.constant(single), fc.constant(!single), 20),
        )
        .map(([entries, bare]) =>
          bare && entries.length > 0 ? entries[0]![1] : objectText(entries),
        );
      const payload: fc.Arbitrary<Entries> =
        format === "row"
          ? instances.map((v): Entries => [["instances", v]])
          : format === "columnar"
            ? columns.map((v): Entries => [["inputs", v]])
            : format === "both"
              ? fc.tuple(instances, columns).map(([i, c]): Entries => [
                  ["instances", i],
                  ["inputs", c],
                ])
              : fc.constant([]);
      return fc.tuple(signatureNameEntry(signature, names), payload).map(([sig, entries]) => ({
        kind: `predict/${format}`,
        text: objectText([...sig, ...entries, ...extra]),
      }));
    });
}

/** A tf.Example feature of an input: values of its dtype (a value or a list), or others. */
function featureText(
  info: Signature["inputs"][string] | undefined,
  free: number,
): fc.Arbitrary<string> {
  const count = info
    ? concreteShape(info, 1, free)
        .slice(1)
        .reduce((a, b) => a * b, 1)
    : 1;
  const leaf = leafText(info?.dtype ?? "DT_FLOAT");
  const right = fc
    .array(leaf, { minLength: count, maxLength: count })
    .map((v) => (v.length === 1 ? v[0]! : `[${v.join(", ")}]`));
  return mostly(
    right,
    fc.oneof(
      fc.array(leafText("DT_FLOAT"), { maxLength: 4 }).map((v) => `[${v.join(", ")}]`),
      fc.integer().map(String),
      stringText,
      fc.constantFrom(
        "true",
        "false",
        "null",
        "[1, 2.0]",
        "[[1.0]]",
        '{"b64": "AAE="}',
        '{"x": 1}',
      ),
      anyJsonText,
    ),
    10,
  );
}

/** A classify or regress body: examples (and a context) with the signature's feature names. */
function examplesBody(
  m: FuzzModel,
  method: "classify" | "regress",
): fc.Arbitrary<{ kind: string; text: string }> {
  const names = Object.keys(m.signatures);
  const fitting = names.filter((n) => m.signatures[n]!.method_name.endsWith(method));
  return fc
    .record({
      signature: mostly(fc.constantFrom(...fitting), fc.constantFrom(...names), 10),
      free: fc.integer({ min: 1, max: 3 }),
      count: fc.integer({ min: 1, max: 4 }),
      extra: extraEntries,
    })
    .chain(({ signature, free, count, extra }) => {
      const inputs = Object.entries(m.signatures[signature]!.inputs);
      const example = bentEntries(
        inputs,
        (info) => featureText(info, free),
        (name) => [name],
        fc.tuple(nameText([]), featureText(undefined, free)),
        { renamed: 30, dropped: 30, added: 20 },
      ).map(objectText);
      return fc
        .record({
          sig: signatureNameEntry(signature, names),
          examples: mostly(
            fc
              .array(example, { minLength: count, maxLength: count })
              .map((e) => `[${e.join(", ")}]`),
            fc.oneof(fc.constant("[]"), anyJsonText, fc.constant("MISSING")),
            20,
          ),
          context: rarely(fc.constant("{}"), 10),
        })
        .map(({ sig, examples, context }) => ({
          kind: method,
          text: objectText([
            ...sig,
            ...(context === null ? [] : [["context", context] as const]),
            ...(examples === "MISSING" ? [] : [["examples", examples] as const]),
            ...extra,
          ]),
        }));
    });
}

const V2_TYPES: Record<string, string> = {
  DT_FLOAT: "FP32",
  DT_INT32: "INT32",
  DT_STRING: "BYTES",
};

/** A V2 infer body: one entry per input of a signature, with its shape, datatype and data. */
function inferBody(m: FuzzModel): fc.Arbitrary<{ kind: string; text: string }> {
  const names = Object.keys(m.signatures);
  return fc.record(signatureAndSizes(names)).chain(({ signature, batch, free }) => {
    const def = m.signatures[signature]!;
    const entries = Object.entries(def.inputs);
    const inputNames = entries.map(([n]) => n);
    const input = ([name, info]: (typeof entries)[number]) => {
      const shape = concreteShape(info, batch, free);
      const count = shape.reduce((a, b) => a * b, 1);
      const leaf =
        info.dtype === "DT_STRING"
          ? mostly(fc.string({ maxLength: 6 }).map(quote), scalarText, 40)
          : leafText(info.dtype);
      return fc
        .record({
          name: mostly(
            fc.constant(quote(name)),
            fc.oneof(nameText(inputNames).map(quote), scalarText),
            30,
          ),
          shape: mostly(
            fc.constant(`[${shape.join(", ")}]`),
            fc.oneof(
              fc.array(numberText, { maxLength: 3 }).map((d) => `[${d.join(", ")}]`),
              anyJsonText,
            ),
            30,
          ),
          datatype: mostly(
            fc.constant(quote(V2_TYPES[info.dtype] ?? "FP32")),
            fc.oneof(
              fc
                .constantFrom("FP64", "INT64", "BOOL", "FP16", "UINT8", ...PROTOTYPE_NAMES)
                .map(quote),
              scalarText,
            ),
            30,
          ),
          data: fc.oneof(
            {
              arbitrary: fc
                .array(leaf, { minLength: count, maxLength: count })
                .map((d) => `[${d.join(", ")}]`),
              weight: 20,
            },
            { arbitrary: tensorText(shape, leaf), weight: 8 },
            {
              arbitrary: fc.array(leaf, { maxLength: count + 2 }).map((d) => `[${d.join(", ")}]`),
              weight: 1,
            },
            { arbitrary: anyJsonText, weight: 1 },
          ),
          keep: mostly(fc.constant(true), fc.constant(false), 40),
          // Now and then the binary tensor extension's size instead of data.
          binarySize: rarely(fc.oneof(fc.integer({ min: 0, max: 64 }), numberText), 8),
        })
        .map((r) =>
          !r.keep
            ? ""
            : r.binarySize === null
              ? `{"name": ${r.name}, "shape": ${r.shape}, "datatype": ${r.datatype}, "data": ${r.data}}`
              : `{"name": ${r.name}, "shape": ${r.shape}, "datatype": ${r.datatype}, "parameters": {"binary_data_size": ${r.binarySize}}}`,
        );
    };
    const inputs = fc
      .tuple(fc.tuple(...entries.map(input)), rarely(fc.constantFrom(...entries).chain(input), 30))
      .map(
        ([list, extra]) => `[${[...list, ...(extra ? [extra] : [])].filter(Boolean).join(", ")}]`,
      );
    const outputs = mostly(
      fc.constant<Entries>([]),
      fc.oneof(
        fc
          .array(
            chosenName(Object.keys(def.outputs)).map((n) => `{"name": ${quote(n)}}`),
            { maxLength: 3 },
          )
          .map((o): Entries => [["outputs", `[${o.join(", ")}]`]]),
        anyJsonText.map((v): Entries => [["outputs", v]]),
      ),
      6,
    );
    const named: Entries = [["parameters", `{"signature_name": ${quote(signature)}}`]];
    const parameters = mostly(
      fc.constant(signature === "serving_default" ? [] : named),
      fc.oneof(
        nameText(names).map((n): Entries => [["parameters", `{"signature_name": ${quote(n)}}`]]),
        anyJsonText.map((v): Entries => [["parameters", v]]),
      ),
      10,
    );
    return fc
      .record({
        inputs: mostly(inputs, anyJsonText, 30),
        outputs,
        parameters,
        id: fc.option(mostly(fc.string({ maxLength: 8 }).map(quote), scalarText, 4), { freq: 3 }),
      })
      .map(({ inputs: i, outputs: o, parameters: p, id }) => ({
        kind: "infer",
        text: objectText([
          ...(id === null ? [] : [["id", id] as const]),
          ...p,
          ["inputs", i],
          ...o,
        ]),
      }));
  });
}

/** The body as sent: as generated, broken, gzipped (rightly or not), or over the size limit. */
function encoded(
  text: string,
  maxBodyBytes: number,
  infer = false,
): fc.Arbitrary<{ how: string; body: Buffer; headers: Record<string, string> }> {
  const json = { "Content-Type": "application/json" };
  // V2's binary tensor data extension: bytes after the JSON, whose length a header gives
  // (rightly, or past the body, or not a number).
  const binaryTail = fc
    .record({
      tail: fc.uint8Array({ maxLength: 48 }),
      length: fc.oneof(
        { arbitrary: fc.constant(Buffer.byteLength(text)), weight: 6 },
        { arbitrary: fc.integer({ min: -2, max: Buffer.byteLength(text) + 64 }), weight: 2 },
        { arbitrary: fc.constantFrom("", "x", "1e3", " 12", "99999999999999999999"), weight: 1 },
      ),
    })
    .map(({ tail, length }) => ({
      how: "+binary-tensors",
      body: Buffer.concat([Buffer.from(text), tail]),
      headers: { "Inference-Header-Content-Length": String(length) },
    }));
  return fc.oneof(
    { arbitrary: binaryTail, weight: infer ? 4 : 0 },
    { arbitrary: fc.constant({ how: "", body: Buffer.from(text), headers: json }), weight: 40 },
    {
      arbitrary: breakText(text).map((t) => ({
        how: "+broken",
        body: Buffer.from(t),
        headers: json,
      })),
      weight: 4,
    },
    {
      arbitrary: fc.constant({
        how: "+gzip",
        body: gzipSync(text),
        headers: { ...json, "Content-Encoding": "gzip" },
      }),
      weight: 2,
    },
    {
      arbitrary: fc
        .constantFrom("gzip", "deflate", "br", "identity, gzip", "x")
        .map((encoding) => ({
          how: "+bad-encoding",
          body: Buffer.from(text),
          headers: { ...json, "Content-Encoding": encoding },
        })),
      weight: 1,
    },
    {
      arbitrary: fc
        .uint8Array({ maxLength: 64 })
        .map((bytes) => ({ how: "+binary", body: Buffer.from(bytes), headers: {} })),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom("plain", "gzip").map((how) => {
        const big = `{"instances": [${"1.0, ".repeat(Math.ceil(maxBodyBytes / 5))}1.0]}`;
        return how === "plain"
          ? { how: "+oversize", body: Buffer.from(big), headers: json }
          : {
              how: "+gzip-bomb",
              body: gzipSync(big),
              headers: { ...json, "Content-Encoding": "gzip" },
            };
      }),
      weight: 1,
    },
  );
}

/** An inference POST to REST (predict, classify, regress) or V2 (infer). */
export function inferenceRequest(maxBodyBytes: number): fc.Arbitrary<HttpRequest> {
  return model.chain((m) =>
    fc
      .record({
        api: fc.constantFrom(
          "predict",
          "predict",
          "predict",
          "classify",
          "regress",
          "infer",
          "infer",
        ),
        name: modelInUrl(m.name),
        version: versionOrLabel,
        methodCase: mostly(fc.constant(""), fc.constantFrom("upper", "odd"), 16),
      })
      .chain(({ api, name, version, methodCase }) => {
        const body =
          api === "predict"
            ? predictBody(m)
            : api === "infer"
              ? inferBody(m)
              : examplesBody(m, api as "classify" | "regress");
        const verb =
          methodCase === "upper" ? api.toUpperCase() : methodCase === "odd" ? `${api}x` : api;
        const path =
          api === "infer"
            ? `/v2/models/${name}${version.startsWith("/versions/") ? version : ""}/infer`
            : `/v1/models/${name}${version}:${verb}`;
        return body.chain(({ kind, text }) =>
          encoded(text, maxBodyBytes, api === "infer").map(({ how, body: bytes, headers }) => ({
            kind: `${kind}${how}`,
            method: "POST",
            path,
            headers,
            body: bytes,
          })),
        );
      }),
  );
}

/** Reads of every kind, and methods the routes do not take. */
export function readRequest(): fc.Arbitrary<HttpRequest> {
  return model.chain((m) =>
    fc
      .record({
        name: modelInUrl(m.name),
        version: versionOrLabel,
        form: fc.constantFrom(
          "status",
          "metadata",
          "v2-model",
          "v2-ready",
          "list",
          "v2",
          "live",
          "ready",
          "metrics",
          "junk",
        ),
        method: fc.constantFrom(
          "GET",
          "GET",
          "GET",
          "GET",
          "POST",
          "PUT",
          "DELETE",
          "PATCH",
          "OPTIONS",
        ),
      })
      .map(({ name, version, form, method }) => {
        const v2version = version.startsWith("/versions/") ? version : "";
        const path = {
          status: `/v1/models/${name}${version}`,
          metadata: `/v1/models/${name}${version}/metadata`,
          "v2-model": `/v2/models/${name}${v2version}`,
          "v2-ready": `/v2/models/${name}${v2version}/ready`,
          list: "/v1/models",
          v2: "/v2",
          live: "/v2/health/live",
          ready: "/v2/health/ready",
          metrics: "/monitoring/prometheus/metrics",
          junk: `/v1/${name}/%%/..;/x`,
        }[form];
        return { kind: `read/${form}`, method, path, headers: {}, body: Buffer.alloc(0) };
      }),
  );
}
