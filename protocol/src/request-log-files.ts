import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * How a request log's files are named, for the server that writes them and the kernel
 * library that reads them back: `<filename_prefix>-00000.tfrecord`, `-00001`, … (five
 * digits or more), numbered in the order they were started.
 */
export function requestLogFileName(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(5, "0")}.tfrecord`;
}

const SUFFIX = /^-(\d+)\.tfrecord$/;

/** The files of the log at `prefix`, oldest first, with their numbers. */
export async function requestLogFiles(
  prefix: string,
): Promise<{ readonly path: string; readonly index: number }[]> {
  const name = basename(prefix);
  const dir = dirname(prefix);
  const entries = await readdir(dir).catch(() => [] as string[]);
  const files: { path: string; index: number }[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(name)) continue;
    const match = SUFFIX.exec(entry.slice(name.length));
    if (match) files.push({ path: join(dir, entry), index: Number(match[1]) });
  }
  return files.sort((a, b) => a.index - b.index);
}
