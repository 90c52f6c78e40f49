import { DIGEST_PREFIX, countsForDigest, digestText } from "@servable/protocol/wire";
import type { ExportedVersion } from "./tokens";
import type { ExportedModels } from "./workspace";

/**
 * The content digests (protocol/src/version-digest.ts) of the workspace's exported
 * versions, so the sidebar can tell which of them a server already serves: by their
 * files, not by their numbers (the workspace and the server number versions apart, and
 * the same number on both sides often holds two different models).
 *
 * A version's files are read once through the Contents API and hashed with the browser's
 * SHA-256 (WebCrypto); the digest is kept while the folder's listing (names, sizes,
 * modification times) stays the same. Where WebCrypto is missing (a page served over plain
 * HTTP from another host) or a version is too large to read in the page, there is no
 * digest and the caller falls back to version numbers.
 */

/** Versions larger than this are not read into the page to be hashed. */
const MAX_BYTES = 256 * 1024 * 1024;

export class ExportedDigests {
  readonly #cache = new Map<string, { fingerprint: string; digest: Promise<string | undefined> }>();

  constructor(private readonly exported: ExportedModels) {}

  /** The digests of the versions that have one now (computed, or read from the cache). */
  async digests(versions: readonly ExportedVersion[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const live = new Set<string>();
    await Promise.all(
      versions.map(async (v) => {
        live.add(v.path);
        const digest = await this.#digest(v);
        if (digest) found.set(v.path, digest);
      }),
    );
    for (const path of this.#cache.keys()) if (!live.has(path)) this.#cache.delete(path);
    return found;
  }

  #digest(version: ExportedVersion): Promise<string | undefined> {
    const fingerprint = version.fingerprint ?? `${version.sizeBytes ?? ""}`;
    const cached = this.#cache.get(version.path);
    if (cached && cached.fingerprint === fingerprint) return cached.digest;
    const digest = this.#compute(version).catch(() => {
      // Read again next time: the folder may have been mid-write.
      this.#cache.delete(version.path);
      return undefined;
    });
    this.#cache.set(version.path, { fingerprint, digest });
    return digest;
  }

  async #compute(version: ExportedVersion): Promise<string | undefined> {
    const subtle = globalThis.crypto?.subtle;
    if (!subtle) return undefined;
    if ((version.sizeBytes ?? 0) > MAX_BYTES) return undefined;
    const files = (await this.exported.files(version)).filter((f) => countsForDigest(f.path));
    if (files.reduce((sum, f) => sum + f.data.size, 0) > MAX_BYTES) return undefined;
    const entries = await Promise.all(
      files.map(async (f) => ({
        path: f.path,
        sha256: await sha256(subtle, await f.data.arrayBuffer()),
      })),
    );
    return (
      DIGEST_PREFIX + (await sha256(subtle, new TextEncoder().encode(digestText(entries)).buffer))
    );
  }
}

async function sha256(subtle: SubtleCrypto, data: BufferSource): Promise<string> {
  const digest = new Uint8Array(await subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
