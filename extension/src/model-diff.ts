import type { ExportedVersion, ServedModel, ServedVersion } from "./tokens";

/**
 * Pure comparisons the model makes on every refresh: what the workspace has that the server
 * does not serve, uploads the listing does not show yet, and whether anything changed.
 */

/** Exported versions whose (name, version) the server does not list. */
export function exportedNotServed(
  exported: readonly ExportedVersion[],
  served: readonly ServedModel[],
): ExportedVersion[] {
  const servedIds = new Set(
    served.flatMap((m) => m.versions.map((v) => `${m.name}\u0000${Number(v.version)}`)),
  );
  return exported.filter((e) => !servedIds.has(`${e.name}\u0000${Number(e.version)}`));
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
