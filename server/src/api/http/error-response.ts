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
 * answered by its deadline, refused before it was read) gets `Connection: close`: the rest
 * of its body is read for a little while only (`LINGER_BYTES`, `LINGER_MS`), so that a client
 * still sending it gets to read the answer, and then the connection closes.
 */
export function sendError(res: ServerResponse, thrown: unknown): ServingError {
  const error = toServingError(thrown);
  if (!res.headersSent) {
    const body = errorBody(error);
    const headers: Record<string, string | number> = {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
    };
    const req = res.req;
    const unread = bodyStillArriving(req);
    if (unread) {
      headers.Connection = "close";
      lingerThenClose(req);
    }
    res.writeHead(httpStatusOf(error), headers);
    res.end(body);
  } else {
    res.destroy();
  }
  return error;
}

/** Bytes of an unwanted body still read after the answer, and for how long at most. */
const LINGER_BYTES = 4 * 1024 * 1024;
const LINGER_MS = 2000;

/**
 * Closes the connection of a request whose body will not be read, gracefully. Node ends a
 * `Connection: close` answer by destroying its socket as soon as the answer is written: with
 * the client's data still unread that sends a reset, which can make the client lose the
 * answer itself. This socket ends instead (the client sees the answer, then the end), its
 * data is read and dropped up to the limits, and only then is it destroyed.
 */
function lingerThenClose(req: IncomingMessage): void {
  const socket = req.socket;
  let read = 0;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  socket.destroySoon = () => socket.end();
  socket.once("close", () => clearTimeout(timer));
  req.on("data", (chunk: Buffer) => {
    read += chunk.length;
    if (read > LINGER_BYTES) close();
  });
  req.on("error", () => undefined);
  req.resume();
}

function bodyStillArriving(req: IncomingMessage | undefined): req is IncomingMessage {
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
