import { readFile } from "node:fs/promises";
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

/** Reads `file` of the version in `dir`; failures as `readFailure` classifies them. */
export function readVersionFile(dir: string, file: string): Promise<Buffer>;
export function readVersionFile(dir: string, file: string, encoding: "utf8"): Promise<string>;
export async function readVersionFile(
  dir: string,
  file: string,
  encoding?: "utf8",
): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(join(dir, file), encoding) : await readFile(join(dir, file));
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
    return await readFile(join(dir, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw readFailure(error, dir, file);
  }
}
