import type { ServerResponse } from "node:http";
import { toServingError, type ServingError } from "@servable/protocol";
import { PrettyWriter } from "./json/pretty-writer";
import { httpStatusOf } from "./http-status";

/**
 * The one path from an error to an HTTP answer: TF Serving's status for its code and
 * its body, `{"error": "<message>"}`.
 */
export function errorBody(error: ServingError): string {
  return new PrettyWriter()
    .startObject()
    .key("error")
    .raw(JSON.stringify(error.message))
    .endObject()
    .toString();
}

export function sendError(res: ServerResponse, thrown: unknown): ServingError {
  const error = toServingError(thrown);
  if (!res.headersSent) {
    const body = errorBody(error);
    res.writeHead(httpStatusOf(error), {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
    });
    res.end(body);
  } else {
    res.destroy();
  }
  return error;
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}
