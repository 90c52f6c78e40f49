import type { IncomingMessage } from "node:http";
import { gunzip } from "node:zlib";
import { invalidArgument, payloadTooLarge, ServingError } from "@servable/protocol";

/**
 * Reads a request body up to `maxBytes`, un-gzipping `Content-Encoding: gzip` bodies as
 * TF Serving does. A body over the limit is refused (413) without reading it on: before
 * the first byte when its Content-Length says so, else as soon as it passes the limit;
 * the error answer then closes the connection after a short grace (error-response.ts).
 * Every way a body can end (the client hanging up, bad gzip) settles the promise, with a
 * ServingError.
 */
/** Bodies declared this long or longer are copied into one buffer as they arrive. */
const COPY_AS_IT_ARRIVES_BYTES = 1024 * 1024;

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    payloadTooLarge(`Request body is larger than the server's limit of ${maxBytes} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (declared > maxBytes) return Promise.reject(tooLarge());
  const gzipped = /\bgzip\b/i.test(req.headers["content-encoding"] ?? "");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A big body of known length is copied into place as it arrives: joining its chunks
    // at the end would hold this thread for tens of milliseconds.
    let whole: Buffer | undefined;
    let settled = false;
    const fail = (error: ServingError) => {
      if (settled) return;
      settled = true;
      req.removeListener("data", onData);
      // Stop reading: what the client still sends stays unread until the connection closes.
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      const at = size;
      size += chunk.length;
      if (size > maxBytes) fail(tooLarge());
      else if (declared >= COPY_AS_IT_ARRIVES_BYTES && size <= declared) {
        whole ??= Buffer.allocUnsafe(declared);
        chunk.copy(whole, at);
      } else chunks.push(chunk);
    };
    const cancelled = () =>
      fail(new ServingError("CANCELLED", "The client closed the request before sending its body"));
    req.on("data", onData);
    req.on("error", cancelled);
    // Destroyed without an error (the connection closed under it): the body never comes.
    req.on("close", () => {
      if (!req.complete) cancelled();
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      const body = whole
        ? whole.subarray(0, size)
        : chunks.length === 1
          ? chunks[0]!
          : Buffer.concat(chunks, size);
      if (!gzipped) resolve(body);
      else
        gunzip(body, { maxOutputLength: maxBytes }, (error, result) => {
          if (!error) resolve(result);
          else if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
            reject(tooLarge());
          else reject(invalidArgument(`Request body is not valid gzip: ${error.message}`));
        });
    });
  });
}
