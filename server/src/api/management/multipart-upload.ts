import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { dirname, join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { invalidArgument, payloadTooLarge, ServingError } from "@servable/protocol";
import { partPath } from "./upload-paths";

export interface UploadLimits {
  /** Total bytes of all files. */
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export interface ReceivedFiles {
  /** Relative paths, in the order they arrived. */
  readonly paths: string[];
  readonly bytes: number;
}

/**
 * Streams a multipart/form-data upload into `dir` (a folder being made while the body
 * starts to arrive), one file per part (upload-paths.ts says where each goes), within the
 * limits. Rejects with a ServingError (400, 413) on bad input and on a body that ends
 * early, once nothing writes into `dir` any more; what was written stays there for the
 * caller to remove.
 *
 * Every stream has an error listener from the moment it exists (the request, the parser,
 * each file part, each file written), so no client input reaches `uncaughtException`.
 */
export function receiveMultipart(
  req: IncomingMessage,
  dir: Promise<string>,
  limits: UploadLimits,
): Promise<ReceivedFiles> {
  const tooLarge = () =>
    payloadTooLarge(`Upload is larger than the server's limit of ${limits.maxBytes} bytes`);
  if (Number(req.headers["content-length"]) > limits.maxBytes) {
    dir.catch(() => undefined);
    return Promise.reject(tooLarge());
  }

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      preservePath: true,
      limits: {
        files: limits.maxFiles,
        fields: 0,
        parts: limits.maxFiles + 1,
        fileSize: limits.maxBytes + 1,
      },
    });
  } catch (error) {
    dir.catch(() => undefined);
    return Promise.reject(
      invalidArgument(
        `Expected a multipart/form-data body with one part per file: ${(error as Error).message}`,
      ),
    );
  }

  return new Promise<ReceivedFiles>((resolve, reject) => {
    const paths: string[] = [];
    const writes: Promise<void>[] = [];
    /** File streams being written: a failure destroys them, which ends their pipelines. */
    const piping = new Set<Readable>();
    let bytes = 0;
    let failure: Error | undefined;

    // The first failure stops the upload; it is reported once every file stream has
    // closed, so nothing writes into `dir` after the caller removes it.
    const fail = (thrown: Error) => {
      if (failure) return;
      const error = uploadError(thrown);
      failure = error;
      req.unpipe(parser);
      req.resume();
      for (const file of piping) file.destroy(error);
      void Promise.allSettled(writes).then(() => reject(error));
    };

    // The folder is made while the first parts arrive; without it nothing is written.
    dir.catch((error: unknown) => fail(error as Error));

    parser.on("file", (fieldName: string, file: Readable, info: busboy.FileInfo) => {
      // A body that ends inside this part errors the part's stream, maybe before it is
      // piped anywhere (while its folder is made).
      file.on("error", fail);
      if (failure) {
        file.resume();
        return;
      }
      let path: string;
      try {
        path = partPath(fieldName, info.filename);
        checkNewPath(path, paths);
      } catch (error) {
        file.resume();
        fail(error as Error);
        return;
      }
      paths.push(path);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > limits.maxBytes) done(tooLarge());
          else done(null, chunk);
        },
      });
      const write = async () => {
        const target = join(await dir, path);
        await mkdir(dirname(target), { recursive: true });
        if (failure) {
          file.resume();
          return;
        }
        piping.add(file);
        try {
          await pipeline(file, counter, createWriteStream(target, { flags: "wx" }));
        } finally {
          piping.delete(file);
        }
      };
      writes.push(write().catch((error: unknown) => fail(error as Error)));
    });
    parser.on("field", (fieldName: string) =>
      fail(invalidArgument(`Part ${fieldName} is not a file: every part must be a file`)),
    );
    parser.on("filesLimit", () =>
      fail(invalidArgument(`Too many files: the server takes at most ${limits.maxFiles}`)),
    );
    parser.on("partsLimit", () =>
      fail(invalidArgument(`Too many parts: the server takes at most ${limits.maxFiles} files`)),
    );
    parser.on("fieldsLimit", () => fail(invalidArgument("Every part of an upload must be a file")));
    parser.on("error", fail);
    parser.on("close", () => {
      void Promise.all(writes).then(() => {
        if (failure) return;
        if (paths.length === 0) fail(invalidArgument("The upload has no files"));
        else resolve({ paths, bytes });
      });
    });
    req.on("error", () => fail(invalidArgument("The upload was cut off")));
    req.on("close", () => {
      if (!req.complete) fail(invalidArgument("The upload was cut off"));
    });
    req.pipe(parser);
  });
}

/**
 * What a failure is for the client: the limits' and rules' errors as they are, the file
 * system's (they carry an errno) as the server's own, and anything else the parser or a
 * part reports as a malformed body.
 */
function uploadError(error: Error): Error {
  if (error instanceof ServingError) return error;
  if (typeof (error as NodeJS.ErrnoException).errno === "number") return error;
  return invalidArgument(`Malformed multipart body: ${error.message}`);
}

/** A path may appear once, and may not be both a file and a folder of another file. */
function checkNewPath(path: string, earlier: readonly string[]): void {
  for (const other of earlier) {
    if (other === path) throw invalidArgument(`The upload has two files named ${path}`);
    if (other.startsWith(`${path}/`) || path.startsWith(`${other}/`)) {
      throw invalidArgument(`The upload has both ${other} and ${path}`);
    }
  }
}
