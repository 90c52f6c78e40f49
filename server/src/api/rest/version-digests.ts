import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { countsForDigest, DIGEST_PREFIX, digestText, type DigestEntry } from "@servable/protocol";
import type { ServableState } from "../../core/servable-state";

/** What the digests need of the core: its state changes and where a version's files are. */
export interface DigestSource {
  subscribe(listener: (state: ServableState) => void): () => void;
  versionDir(name: string, version: number): string | undefined;
}

/**
 * The content digest (protocol/src/version-digest.ts) of every version that became
 * AVAILABLE, listed by GET /v1/models as `content_digest`: how the sidebar tells a folder
 * exported in the workspace from a served version without trusting their numbers, which
 * are allocated apart. Computed after each load, in the background, one version at a time
 * (a large model is read once more, off every request's path); a version folder never
 * changes once written (uploads rename a finished folder into place), so a digest holds
 * after the version ends, while the listing shows it.
 */
export class VersionDigests {
  readonly #digests = new Map<string, { readonly dir: string; digest?: string }>();
  #queue: Promise<void> = Promise.resolve();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly source: DigestSource,
    private readonly logger: Logger,
  ) {
    this.#unsubscribe = source.subscribe((state) => this.#onState(state));
  }

  /** The version's digest, once computed. */
  of(name: string, version: number): string | undefined {
    return this.#digests.get(key(name, version))?.digest;
  }

  /** Resolves once every digest asked for so far is computed (tests). */
  settled(): Promise<void> {
    return this.#queue;
  }

  close(): void {
    this.#unsubscribe();
  }

  #onState(state: ServableState): void {
    const { name, version } = state.id;
    const id = key(name, version);
    // Kept after the version ends: the listing still shows it, and its files were these.
    // Each load reads them again (a hand-managed base path may reuse a number).
    if (state.state !== "AVAILABLE") return;
    const dir = this.source.versionDir(name, version);
    if (dir === undefined) return;
    const entry: { readonly dir: string; digest?: string } = { dir };
    this.#digests.set(id, entry);
    this.#queue = this.#queue.then(async () => {
      if (this.#digests.get(id) !== entry) return;
      try {
        entry.digest = await folderDigest(dir);
      } catch (error) {
        // Listed without a digest: the sidebar then compares version numbers.
        this.logger.warn(
          { err: error, model: name, version },
          "Cannot read a version's files for its digest",
        );
      }
    });
  }
}

/** The content digest of a version folder on disk. */
export async function folderDigest(dir: string): Promise<string> {
  const entries: DigestEntry[] = [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const item of await readdir(folder, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${item.name}` : item.name;
      if (!countsForDigest(path)) continue;
      if (item.isDirectory()) await walk(join(folder, item.name), path);
      else if (item.isFile())
        entries.push({ path, sha256: await fileSha256(join(folder, item.name)) });
    }
  };
  await walk(dir, "");
  return DIGEST_PREFIX + createHash("sha256").update(digestText(entries), "utf8").digest("hex");
}

function fileSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}

const key = (name: string, version: number): string => `${name}\u0000${version}`;
