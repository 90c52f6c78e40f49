import type { IncomingMessage, ServerResponse } from "node:http";
import { toServingError, type ServingError } from "@servable/protocol";
import { PrettyWriter } from "../json/pretty-writer";
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

/**
 * Answers with the error. A request whose body is still arriving (refused as too large,
 * or answered by its deadline) gets `Connection: close`: the connection ends after the
 * answer instead of reading the rest of the body.
 */
export function sendError(res: ServerResponse, thrown: unknown): ServingError {
  const error = toServingError(thrown);
  if (!res.headersSent) {
    const body = errorBody(error);
    const headers: Record<string, string | number> = {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
    };
    if (bodyStillArriving(res.req)) headers.Connection = "close";
    res.writeHead(httpStatusOf(error), headers);
    res.end(body);
  } else {
    res.destroy();
  }
  return error;
}

function bodyStillArriving(req: IncomingMessage | undefined): boolean {
  if (!req || req.complete) return false;
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}
