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
