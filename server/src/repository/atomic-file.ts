import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Files that readers on other servers see whole or not at all: written into `tempDir`
 * (on the same volume), flushed, then renamed (or linked) into place. A crash leaves the
 * old file or the new one, plus at most a temporary file in `tempDir`.
 */

/** Replaces `path` with `text`. */
export async function writeFileAtomic(path: string, text: string, tempDir: string): Promise<void> {
  const temporary = await writeTemporary(text, tempDir);
  try {
    await mkdir(dirname(path), { recursive: true });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Creates `path` with `text` unless it exists; returns whether it did. Linking is the
 * check: it fails when the name is taken, on local disks and NFS alike.
 */
export async function createFileExclusive(
  path: string,
  text: string,
  tempDir: string,
): Promise<boolean> {
  const temporary = await writeTemporary(text, tempDir);
  try {
    await mkdir(dirname(path), { recursive: true });
    await link(temporary, path);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The file's text, or undefined when there is no such file. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return undefined;
    throw error;
  }
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function writeTemporary(text: string, tempDir: string): Promise<string> {
  const temporary = join(tempDir, `tmp-${randomBytes(8).toString("hex")}`);
  const file = await open(temporary, "wx");
  try {
    await file.writeFile(text);
    await file.datasync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  return temporary;
}

/** The names in a folder, sorted; none when it does not exist (yet). */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return [];
    throw error;
  }
}
