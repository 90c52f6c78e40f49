import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { badModel, ServingError } from "@servable/protocol";

/**
 * Reading a version's files, with each failure classified once: a file that is missing,
 * or is not a file, is what the version holds (permanent: the load ends at once, naming
 * the file); an I/O error may pass (UNAVAILABLE: the load is tried again).
 */

/** errno codes of failures that may pass when the read is tried again. */
const TRANSIENT_IO_CODES = new Set([
  "EIO",
  "EAGAIN",
  "EBUSY",
  "EINTR",
  "EMFILE",
  "ENFILE",
  "ENOMEM",
  "ESTALE",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
]);

/** True for a Node.js system error that names an I/O condition which may pass. */
export function isTransientIoError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && TRANSIENT_IO_CODES.has(code);
}

/**
 * The ServingError a failed read of `file` (a path in `dir`) becomes: UNAVAILABLE
 * (retried) for transient I/O, else a permanent INVALID_ARGUMENT naming the file.
 */
export function readFailure(error: unknown, dir: string, file: string): ServingError {
  if (error instanceof ServingError) return error;
  const reason = (error as Error).message;
  if (isTransientIoError(error)) {
    return new ServingError("UNAVAILABLE", `${file} in ${dir} cannot be read now: ${reason}`);
  }
  if ((error as NodeJS.ErrnoException).code === "ENOENT") {
    return badModel(`${file} in ${dir} is missing`);
  }
  return badModel(`${file} in ${dir} cannot be read: ${reason}`);
}

/**
 * Reads a model file whole, refusing anything but a regular file: a named pipe (or a device)
 * in a version folder would otherwise block its load forever. Opened non-blocking, so even
 * a pipe with no writer opens and is then refused.
 */
export function readRegularFile(path: string): Promise<Buffer>;
export function readRegularFile(path: string, encoding: "utf8"): Promise<string>;
export async function readRegularFile(path: string, encoding?: "utf8"): Promise<Buffer | string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) {
      throw Object.assign(new Error(`${path} is not a regular file`), { code: "EFTYPE" });
    }
    return encoding ? await handle.readFile(encoding) : await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads `file` of the version in `dir`; failures as `readFailure` classifies them. */
export function readVersionFile(dir: string, file: string): Promise<Buffer>;
export function readVersionFile(dir: string, file: string, encoding: "utf8"): Promise<string>;
export async function readVersionFile(
  dir: string,
  file: string,
  encoding?: "utf8",
): Promise<Buffer | string> {
  try {
    const path = join(dir, file);
    return encoding ? await readRegularFile(path, encoding) : await readRegularFile(path);
  } catch (error) {
    throw readFailure(error, dir, file);
  }
}

/** Reads an optional file: undefined when it is not there. */
export async function readOptionalVersionFile(
  dir: string,
  file: string,
): Promise<string | undefined> {
  try {
    return await readRegularFile(join(dir, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw readFailure(error, dir, file);
  }
}
