/**
 * Which of the versions found on disk a model wants served (TF Serving's
 * `model_version_policy`): the latest N, all of them, or a given list.
 */
export type ServableVersionPolicy =
  | { readonly kind: "latest"; readonly numVersions: number }
  | { readonly kind: "all" }
  | { readonly kind: "specific"; readonly versions: readonly number[] };

export const DEFAULT_VERSION_POLICY: ServableVersionPolicy = { kind: "latest", numVersions: 1 };

/** The versions to aspire to, from the versions present, highest first. */
export function selectVersions(
  policy: ServableVersionPolicy,
  present: readonly number[],
): number[] {
  const sorted = [...present].sort((a, b) => b - a);
  switch (policy.kind) {
    case "latest":
      return sorted.slice(0, Math.max(1, policy.numVersions));
    case "all":
      return sorted;
    case "specific": {
      const wanted = new Set(policy.versions);
      return sorted.filter((v) => wanted.has(v));
    }
  }
}

/**
 * The version number a directory name stands for, or undefined when it is not a
 * version: an integer name ("00000123" is 123); anything else (a temporary upload
 * directory, "1.tmp", "-3") is not.
 */
export function parseVersionDirName(name: string): number | undefined {
  if (!/^\d{1,18}$/.test(name)) return undefined;
  const version = Number(name);
  return Number.isSafeInteger(version) ? version : undefined;
}
