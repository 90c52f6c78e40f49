/**
 * A version's content digest: what tells two copies of a version folder apart without
 * their numbers (a folder exported in the workspace and the version a server serves
 * number their versions independently). The server lists it as `content_digest`; the
 * sidebar computes it over an exported folder; equal digests mean equal files.
 *
 * The rule: every regular file under the version folder whose path has no part starting
 * with "." (Jupyter hides those, and uploads from the sidebar never carry them), as the
 * line `<path, "/"-separated>\0<hex SHA-256 of the file>\n`, sorted by path (code units);
 * the digest is `sha256:` and the hex SHA-256 of the lines' UTF-8 bytes.
 *
 * No hashing here (browser-safe): each side hashes with its own SHA-256.
 */

export const DIGEST_PREFIX = "sha256:";

export interface DigestEntry {
  /** Relative to the version folder, "/"-separated. */
  readonly path: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** Whether a file counts: no part of its relative path is hidden. */
export function countsForDigest(path: string): boolean {
  return path.split("/").every((part) => part !== "" && !part.startsWith("."));
}

/** The text whose SHA-256 is the digest, from the files that count. */
export function digestText(entries: readonly DigestEntry[]): string {
  return entries
    .filter((e) => countsForDigest(e.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => `${e.path}\0${e.sha256}\n`)
    .join("");
}
