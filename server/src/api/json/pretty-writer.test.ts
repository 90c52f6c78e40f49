import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonDebugString, jsonTypeName } from "./debug-string";
import { IntegralDouble, parseJson } from "./json-parser";
import { PrettyWriter } from "./pretty-writer";

test("objects and arrays lay out as rapidjson's PrettyWriter (4-space indent)", () => {
  const w = new PrettyWriter();
  w.startObject().key("a").raw("1").key("list").startArray().raw("1").raw("2").endArray();
  w.key("empty").startObject().endObject().key("none").startArray().endArray().endObject();
  assert.equal(
    w.toString(),
    '{\n    "a": 1,\n    "list": [\n        1,\n        2\n    ],\n    "empty": {},\n    "none": []\n}',
  );
});

test("single-line arrays (kFormatSingleLineArray) keep values on one line", () => {
  const w = new PrettyWriter();
  w.singleLineArrays = true;
  w.startArray().startArray().raw("1").raw("2").endArray().raw("3").endArray();
  assert.equal(w.toString(), "[[1, 2], 3]");
});

test("the layout TF Serving's predict response has: single line switched on per element", () => {
  // As MakeRowFormatJsonFromTensors: the outer array in default format, each element single-line.
  const w = new PrettyWriter();
  w.startObject().key("predictions").startArray();
  for (const value of ["2.5", "3.0", "4.5"]) {
    w.singleLineArrays = true;
    w.raw(value);
    w.singleLineArrays = false;
  }
  w.endArray().endObject();
  assert.equal(w.toString(), '{\n    "predictions": [2.5, 3.0, 4.5\n    ]\n}');
});

test("error bodies: one key, string escaped", () => {
  const w = new PrettyWriter();
  w.startObject().key("error").raw(JSON.stringify('Bad key: "key"')).endObject();
  assert.equal(w.toString(), '{\n    "error": "Bad key: \\"key\\""\n}');
});

test("debug strings quote JSON as TF Serving's error texts do", () => {
  assert.equal(jsonDebugString(parseJson('{"instances": 5}')), '{\n    "instances": 5\n}');
  assert.equal(jsonDebugString(parseJson('[1, [2.0, 2.5], "x"]')), '[1, [2.0, 2.5], "x"]');
  assert.equal(jsonDebugString(parseJson("[true, null, NaN]")), "[true, null, NaN]");
  assert.equal(jsonDebugString(new IntegralDouble(1e21)), "1e21");
});

test("debug strings are cut after 256 bytes", () => {
  const long = parseJson(`[${Array.from({ length: 500 }, (_, i) => i).join(",")}]`);
  const text = jsonDebugString(long);
  assert.ok(text.length >= 256 && text.length < 270, `${text.length} bytes`);
  assert.ok(text.startsWith("[0, 1, 2, "));
  assert.ok(!text.endsWith("]"));
});

test("JSON type names are rapidjson's", () => {
  const names = [null, true, false, [], "s", {}, 1].map((v) => jsonTypeName(v));
  assert.deepEqual(names, ["Null", "True", "False", "Array", "String", "Object", "Number"]);
});
