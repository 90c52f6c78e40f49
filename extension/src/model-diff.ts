import type { ExportedVersion, ServedModel, ServedVersion } from "./tokens";

/**
 * Pure comparisons the model makes on every refresh: what the workspace has that the server
 * does not serve, uploads the listing does not show yet, and whether anything changed.
 */

/** An exported folder deployed from the sidebar, and the version the server gave it. */
export interface Uploaded {
  readonly path: string;
  readonly fingerprint: string | undefined;
  readonly version: string;
}

/**
 * Exported versions the server does not serve, told apart by their files: an exported
 * version is served when a listed version of its model has the same content digest
 * (`digests`: exported path -> digest). The workspace and the server number versions
 * apart, so a number says nothing of the content; numbers are compared only where a
 * digest is missing on either side (a server that lists none, a folder not hashed).
 * A folder deployed from here counts as served by the version it became while the
 * listing shows that version not hashed yet.
 */
export function exportedNotServed(
  exported: readonly ExportedVersion[],
  served: readonly ServedModel[],
  digests: ReadonlyMap<string, string> = new Map(),
  uploaded: readonly Uploaded[] = [],
): ExportedVersion[] {
  return exported.filter((e) => {
    const versions = served.find((m) => m.name === e.name)?.versions ?? [];
    const upload = uploaded.find((u) => u.path === e.path && u.fingerprint === e.fingerprint);
    if (upload && versions.some((v) => v.version === upload.version && !v.contentDigest)) {
      return false;
    }
    const digest = digests.get(e.path);
    const serverHashes = versions.some((v) => v.contentDigest !== undefined);
    if (digest !== undefined && serverHashes) {
      return !versions.some((v) => v.contentDigest === digest);
    }
    return !versions.some((v) => Number(v.version) === Number(e.version));
  });
}

/** A version the server accepted (upload answered) but does not list yet. */
export interface PendingDeploy {
  readonly name: string;
  readonly version: string;
  readonly state: ServedVersion["state"];
  /** Milliseconds since the epoch when the upload was answered. */
  readonly since: number;
}

/** The listing with the pending uploads it lacks, so a deployed row never disappears. */
export function withPendingDeploys(
  served: readonly ServedModel[],
  pending: readonly PendingDeploy[],
): ServedModel[] {
  const models = served.map((m) => ({ ...m, versions: [...m.versions] }));
  for (const p of pending) {
    let model = models.find((m) => m.name === p.name);
    if (!model) {
      model = { name: p.name, labels: {}, versions: [] };
      models.push(model);
    }
    if (model.versions.some((v) => Number(v.version) === Number(p.version))) continue;
    model.versions.push({
      version: p.version,
      state: p.state,
      errorCode: "OK",
      errorMessage: "",
      labels: [],
      pending: true,
    });
  }
  for (const model of models) model.versions.sort((a, b) => Number(b.version) - Number(a.version));
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/** Pending uploads still worth showing: not listed yet and younger than `maxAgeMs`. */
export function stillPending(
  pending: readonly PendingDeploy[],
  served: readonly ServedModel[],
  now: number,
  maxAgeMs: number,
): PendingDeploy[] {
  return pending.filter(
    (p) =>
      now - p.since < maxAgeMs &&
      !served.some(
        (m) => m.name === p.name && m.versions.some((v) => Number(v.version) === Number(p.version)),
      ),
  );
}

/** Deep equality of two plain JSON-like values (listings, exported lists). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
