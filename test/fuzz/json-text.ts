import fc from "fast-check";

/**
 * JSON written as text, so that the generators can say what JSON.stringify cannot: `1`
 * apart from `1.0`, NaN and Infinity tokens, duplicate keys, numbers past int64 or double,
 * and broken syntax.
 */

/** Names a client may pick that are also JavaScript internals. */
export const PROTOTYPE_NAMES = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
  "__defineGetter__",
  "prototype",
] as const;

export const quote = (text: string): string => JSON.stringify(text);

/** Usually `usual`, now and then (one time in `odds + 1`) `other`. */
export function mostly<T>(
  usual: fc.Arbitrary<T>,
  other: fc.Arbitrary<T>,
  odds = 12,
): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: usual, weight: odds }, { arbitrary: other, weight: 1 });
}

/** Usually nothing (null), one time in `odds + 1` a value. */
export function rarely<T>(value: fc.Arbitrary<T>, odds: number): fc.Arbitrary<T | null> {
  return mostly(fc.constant(null), value, odds);
}

/** One of the names a model has, or now and then any name (prototype names included). */
export function chosenName(known: readonly string[]): fc.Arbitrary<string> {
  return mostly(fc.constantFrom(...known), nameText(known), 8);
}

/** A name: one the model has, a prototype name, or any other text. */
export function nameText(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...(known.length ? known : ["x"])), weight: 4 },
    { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES), weight: 3 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
    { arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }), weight: 1 },
  );
}

/** Any JSON number token rapidjson reads, and a few it refuses. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String), weight: 4 },
  { arbitrary: fc.integer({ min: -1000, max: 1000 }).map((n) => `${n}.0`), weight: 3 },
  {
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => {
      const text = String(d);
      return text.includes(".") || text.includes("e") ? text : `${text}.0`;
    }),
    weight: 3,
  },
  {
    arbitrary: fc.constantFrom(
      "NaN",
      "-NaN",
      "Infinity",
      "-Infinity",
      "Inf",
      "-0",
      "-0.0",
      "1e3",
      "1E-7",
      "2147483648",
      "-2147483649",
      "4294967296",
      "9007199254740993",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775808",
      "18446744073709551615",
      "18446744073709551616",
      "1e400",
      "-1e400",
      "4.9e-324",
      "0.1e-400",
    ),
    weight: 2,
  },
);

/** A base64 object: standard, web-safe, padded wrongly, or not base64 at all. */
export const base64Text: fc.Arbitrary<string> = fc.oneof(
  fc
    .uint8Array({ maxLength: 12 })
    .map((b) => `{"b64": ${quote(Buffer.from(b).toString("base64"))}}`),
  fc
    .uint8Array({ maxLength: 12 })
    .map((b) => `{"b64": ${quote(Buffer.from(b).toString("base64url"))}}`),
  fc.string({ maxLength: 10 }).map((t) => `{"b64": ${quote(t)}}`),
  fc.constantFrom('{"b64": 5}', '{"b64": null}', '{"b64": "QQ=="', '{"b64": "QQ==", "x": 1}', "{}"),
);

/** A string token: text of any kind, escapes, invalid surrogates. */
export const stringText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 12 }).map(quote), weight: 3 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }).map(quote), weight: 1 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).map(quote), weight: 1 },
  {
    arbitrary: fc.constantFrom('"\\ud800"', '"\\u0000"', '"a\\tb"', '"\\x"', '"\\u12G4"', '"é"'),
    weight: 1,
  },
);

/** A scalar token of any JSON kind. */
export const scalarText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: numberText, weight: 4 },
  { arbitrary: stringText, weight: 2 },
  { arbitrary: fc.constantFrom("true", "false", "null"), weight: 1 },
  { arbitrary: base64Text, weight: 1 },
);

/** Any JSON value, nested a few levels, as text. */
export const anyJsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { arbitrary: scalarText, weight: 4 },
    {
      arbitrary: fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(", ")}]`),
      weight: 1,
    },
    {
      arbitrary: fc
        .array(fc.tuple(nameText(["x", "a"]), tie("value")), { maxLength: 3 })
        .map(objectText),
      weight: 1,
    },
  ),
})).value;

/** An object from its entries, in order, duplicates kept. */
export function objectText(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${quote(key)}: ${value}`).join(", ")}}`;
}

/** A leaf of a dtype: usually the right kind, sometimes any other. */
export function leafText(dtype: string): fc.Arbitrary<string> {
  const right = (() => {
    switch (dtype) {
      case "DT_FLOAT":
      case "DT_DOUBLE":
        return fc.oneof(
          fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => d.toPrecision(6)),
          fc.integer({ min: -100, max: 100 }).map((n) => `${n}.0`),
        );
      case "DT_INT32":
        return fc.integer({ min: -2147483648, max: 2147483647 }).map(String);
      case "DT_STRING":
        return fc.oneof(fc.string({ maxLength: 8 }).map(quote), base64Text);
      default:
        return numberText;
    }
  })();
  return mostly(right, scalarText, 40);
}

/** A tensor of `shape` as nested lists of `leaf`; now and then ragged or nested wrongly. */
export function tensorText(
  shape: readonly number[],
  leaf: fc.Arbitrary<string>,
): fc.Arbitrary<string> {
  if (shape.length === 0) return leaf;
  const [size, ...rest] = shape as [number, ...number[]];
  const inner = tensorText(rest, leaf);
  return fc
    .oneof(
      { arbitrary: fc.array(inner, { minLength: size, maxLength: size }), weight: 40 },
      { arbitrary: fc.array(inner, { maxLength: size + 2 }), weight: 1 },
      { arbitrary: fc.array(leaf, { maxLength: 3 }), weight: 1 },
    )
    .map((items) => `[${items.join(", ")}]`);
}

/** Ways to break a document's text. */
export function breakText(text: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, text.length - 1) }).map((at) => text.slice(0, at)),
    fc
      .tuple(
        fc.nat({ max: text.length }),
        fc.constantFrom("}", "]", ",", ":", '"', "\\", "\u0000", "x", "{", "["),
      )
      .map(([at, c]) => text.slice(0, at) + c + text.slice(at)),
    fc.constantFrom(`${text} trailing`, `   ${text}\n\n`, `${text}${text}`, text.replace(/ /g, "")),
  );
}
