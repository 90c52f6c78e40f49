import assert from "node:assert/strict";
import { test } from "node:test";
import {
  payloadTooLarge,
  ServingError,
  STATUS_CODES,
  toServingError,
  type StatusCode,
} from "@servable/protocol";
import { errorBody } from "./error-response";
import { httpStatusOf } from "./http-status";

test("status codes map to HTTP as TF Serving maps them", () => {
  // http_rest_api_util.cc's table, code by code.
  const expected = new Map(
    (
      "CANCELLED 499 UNKNOWN 500 INVALID_ARGUMENT 400 DEADLINE_EXCEEDED 504 NOT_FOUND 404 " +
      "ALREADY_EXISTS 409 PERMISSION_DENIED 403 RESOURCE_EXHAUSTED 429 FAILED_PRECONDITION 400 " +
      "ABORTED 409 OUT_OF_RANGE 400 UNIMPLEMENTED 501 INTERNAL 500 UNAVAILABLE 503 DATA_LOSS 500 " +
      "UNAUTHENTICATED 401"
    )
      .match(/\S+ \d+/g)!
      .map((pair) => [pair.split(" ")[0], Number(pair.split(" ")[1])]),
  );
  const errorCodes = STATUS_CODES.filter((c): c is Exclude<StatusCode, "OK"> => c !== "OK");
  for (const code of errorCodes) {
    assert.equal(httpStatusOf(new ServingError(code, "x")), expected.get(code), code);
  }
  assert.equal(httpStatusOf(payloadTooLarge("too big")), 413);
});

test("the error body is TF Serving's, quotes escaped", () => {
  assert.equal(
    errorBody(new ServingError("INVALID_ARGUMENT", 'Bad key: "key"')),
    '{\n    "error": "Bad key: \\"key\\""\n}',
  );
});

test("anything thrown becomes a ServingError that keeps its message", () => {
  const wrapped = toServingError(new RangeError("out of range"));
  assert.equal(wrapped.code, "UNKNOWN");
  assert.equal(wrapped.message, "out of range");
  assert.equal(toServingError("text").message, "text");
  const original = new ServingError("NOT_FOUND", "gone");
  assert.equal(toServingError(original), original);
});
