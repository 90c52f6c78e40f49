import assert from "node:assert/strict";
import { test } from "node:test";
import {
  IntegralDouble,
  isJsonObject,
  JsonParseError,
  jsonNumberKind,
  MAX_NESTING,
  parseJson,
  type JsonValue,
} from "./json-parser";

/** A parsed value with ordinary prototypes (the parser's objects have none), for deepEqual. */
const plain = (value: JsonValue): unknown => JSON.parse(JSON.stringify(value));

/** The error text TF Serving would put after "JSON Parse error: ". */
function parseError(text: string): string {
  try {
    parseJson(text);
  } catch (error) {
    assert.ok(error instanceof JsonParseError);
    return error.message;
  }
  assert.fail(`${JSON.stringify(text)} parsed`);
}

test("parses plain JSON like JSON.parse", () => {
  const text = '{"a": [1, -2.5, "x\\n\\u00e9", true, false, null, {"b": {}}], "c": []}';
  assert.deepEqual(plain(parseJson(text)), JSON.parse(text));
});

test("NaN, Inf, Infinity and their negatives are numbers (kParseNanAndInfFlag)", () => {
  const values = parseJson("[NaN, -NaN, Infinity, -Infinity, Inf, -Inf]") as number[];
  assert.ok(Number.isNaN(values[0]) && Number.isNaN(values[1]));
  assert.deepEqual(values.slice(2), [Infinity, -Infinity, Infinity, -Infinity]);
});

test("stops after the first complete value (kParseStopWhenDoneFlag)", () => {
  assert.deepEqual(plain(parseJson('{"a": 1} trailing {garbage')), { a: 1 });
  assert.equal(parseJson("12abc"), 12);
});

test("integers and doubles stay apart: 2 is an int, 2.0 and 1e3 are doubles", () => {
  const [int, double, exp, frac] = parseJson("[2, 2.0, 1e3, 2.5]") as JsonValue[];
  assert.equal(int, 2);
  assert.ok(double instanceof IntegralDouble && double.value === 2);
  assert.ok(exp instanceof IntegralDouble && exp.value === 1000);
  assert.equal(frac, 2.5);
  assert.equal(jsonNumberKind(2), "int");
  assert.equal(jsonNumberKind(new IntegralDouble(2)), "double");
  assert.equal(jsonNumberKind(2.5), "double");
});

test("int64 and uint64 integers beyond 2^53 stay exact as bigint", () => {
  const [max, min, umax, beyond] = parseJson(
    "[9223372036854775807, -9223372036854775808, 18446744073709551615, 18446744073709551616]",
  ) as JsonValue[];
  assert.equal(max, 9223372036854775807n);
  assert.equal(min, -9223372036854775808n);
  assert.equal(umax, 18446744073709551615n);
  // Beyond uint64 rapidjson reads a double.
  assert.ok(beyond instanceof IntegralDouble && beyond.value === 18446744073709551616);
});

test("duplicate keys keep the first value (rapidjson's FindMember); __proto__ is data", () => {
  assert.deepEqual(plain(parseJson('{"a": 1, "a": 2}')), { a: 1 });
  const doc = parseJson('{"__proto__": {"polluted": true}}');
  assert.ok(isJsonObject(doc));
  assert.deepEqual(Object.keys(doc), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("errors carry rapidjson's message and offset", () => {
  const cases: [string, string][] = [
    ["", "The document is empty. at offset: 0"],
    ["   ", "The document is empty. at offset: 3"],
    [
      '{"instances": [1.0, 2.0, 5.0',
      "Missing a comma or ']' after an array element. at offset: 28",
    ],
    ['{"instances": [1.0, 2.0,]}', "Invalid value. at offset: 24"],
    ['{"instances": [1.0 2.0]}', "Missing a comma or ']' after an array element. at offset: 19"],
    ["{instances: 1}", "Missing a name for object member. at offset: 1"],
    ['{"a": 1,}', "Missing a name for object member. at offset: 8"],
    ['{"a" 1}', "Missing a colon after a name of object member. at offset: 5"],
    ['{"a": 1 "b": 2}', "Missing a comma or '}' after an object member. at offset: 8"],
    ["abc", "Invalid value. at offset: 0"],
    ["tru", "Invalid value. at offset: 3"],
    ["[fals]", "Invalid value. at offset: 5"],
    ["Nan", "Invalid value. at offset: 2"],
    ["Infin", "Invalid value. at offset: 5"],
    ["-x", "Invalid value. at offset: 1"],
    ["1.", "Miss fraction part in number. at offset: 2"],
    ["1e+", "Miss exponent in number. at offset: 3"],
    ["[1e400]", "Number too big to be stored in double. at offset: 1"],
    ['"abc', "Missing a closing quotation mark in string. at offset: 4"],
    ['["a\tb"]', "Invalid encoding in string. at offset: 3"],
    ['["ab\\x"]', "Invalid escape character in string. at offset: 4"],
    ['["\\u12G4"]', "Incorrect hex digit after \\u escape in string. at offset: 2"],
    ['["\\ud800x"]', "The surrogate pair in string is invalid. at offset: 2"],
  ];
  for (const [text, message] of cases) {
    assert.equal(parseError(text), message, JSON.stringify(text));
  }
});

test("nesting deeper than MAX_NESTING is an error, not a stack overflow", () => {
  const deep = (n: number) => `${"[".repeat(n)}1${"]".repeat(n)}`;
  assert.equal((parseJson(deep(MAX_NESTING)) as JsonValue[]).length, 1);
  assert.equal(
    parseError(deep(100_000)),
    `Nesting deeper than ${MAX_NESTING} levels. at offset: ${MAX_NESTING}`,
  );
  assert.equal(
    parseError(`{"a": ${deep(MAX_NESTING)}}`),
    `Nesting deeper than ${MAX_NESTING} levels. at offset: ${MAX_NESTING + 5}`,
  );
});

test("escapes and surrogate pairs decode to the same string JSON.parse gives", () => {
  const text = '"tab\\t quote\\" slash\\/ back\\\\ \\b\\f\\r pair \\ud83d\\ude00 e\\u0301"';
  assert.equal(parseJson(text), JSON.parse(text));
});

test("every number reads as the double Number() reads (the fast path rounds as it does)", () => {
  // A fixed pseudo-random sequence: the same literals on every run.
  let seed = 20261202;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const digits = (n: number) => Array.from({ length: n }, () => String(next(10))).join("");
  for (let i = 0; i < 50_000; i++) {
    const sign = next(4) === 0 ? "-" : "";
    const whole = next(5) === 0 ? "0" : String(1 + next(9)) + digits(next(12));
    const fraction = next(3) === 0 ? "" : `.${digits(1 + next(18))}`;
    const exponent = next(3) === 0 ? `e${next(2) ? "-" : "+"}${next(40)}` : "";
    const literal = `${sign}${whole}${fraction}${exponent}`;
    const parsed = parseJson(`[${literal}]`) as JsonValue[];
    const value = parsed[0]!;
    const expected = Number(literal);
    if (typeof value === "bigint") {
      assert.equal(value, BigInt(literal), literal);
      continue;
    }
    const actual = value instanceof IntegralDouble ? value.value : (value as number);
    assert.ok(Object.is(actual, expected), `${literal}: ${actual} is not ${expected}`);
  }
});
