import type { IncomingMessage } from "node:http";
import { gunzip } from "node:zlib";
import { invalidArgument, payloadTooLarge, ServingError } from "@servable/protocol";

/**
 * Reads a request body up to `maxBytes` (413 beyond, before reading when the
 * Content-Length says so), un-gzipping `Content-Encoding: gzip` bodies as TF Serving does.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    payloadTooLarge(`Request body is larger than the server's limit of ${maxBytes} bytes`);
  if (Number(req.headers["content-length"]) > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  const gzipped = /\bgzip\b/i.test(req.headers["content-encoding"] ?? "");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    // A client that goes away mid-body cancelled its request: nothing failed here.
    req.on("error", () =>
      reject(
        new ServingError("CANCELLED", "The client closed the request before sending its body"),
      ),
    );
    req.on("end", () => {
      if (size > maxBytes) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
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
