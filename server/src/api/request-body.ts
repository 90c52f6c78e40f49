import type { IncomingMessage } from "node:http";
import { gunzip } from "node:zlib";
import { invalidArgument, payloadTooLarge } from "../core/errors";

/**
 * Reads a request body up to `maxBytes` (413 beyond, before reading when the
 * Content-Length says so), un-gzipping `Content-Encoding: gzip` bodies as TF Serving does.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    payloadTooLarge(`Request body is larger than the server's limit of ${maxBytes} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (declared > maxBytes) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  if (!/\bgzip\b/i.test(req.headers["content-encoding"] ?? "")) return body;
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: maxBytes }, (error, result) => {
      if (!error) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") reject(tooLarge());
      else reject(invalidArgument(`Request body is not valid gzip: ${error.message}`));
    });
  });
}
