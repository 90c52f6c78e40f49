import assert from "node:assert/strict";
import { test } from "node:test";
import { parseServerJson, stringifyForServer } from "./json-body";

test("TF Serving's bare NaN and Infinity come back as numbers; strings stay strings", () => {
  assert.deepEqual(parseServerJson('{"predictions": [1.5, NaN, -Infinity, Infinity]}'), {
    predictions: [1.5, NaN, -Infinity, Infinity],
  });
  assert.deepEqual(parseServerJson('{"a": "NaN and Infinity", "b": [NaN]}'), {
    a: "NaN and Infinity",
    b: [NaN],
  });
  assert.deepEqual(parseServerJson('{"x": 1}'), { x: 1 });
  assert.throws(() => parseServerJson("{not json"));
});

test("request bodies carry NaN and infinities as TF Serving's bare tokens", () => {
  const text = stringifyForServer({ instances: [[1.5, NaN, Infinity, -Infinity]], name: "NaN" });
  assert.equal(text, '{"instances":[[1.5,NaN,Infinity,-Infinity]],"name":"NaN"}');
  assert.deepEqual(parseServerJson(text), {
    instances: [[1.5, NaN, Infinity, -Infinity]],
    name: "NaN",
  });
});
