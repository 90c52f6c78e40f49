import { readdir } from "node:fs/promises";
import { parseVersion } from "./names";

/**
 * A model's version folders as the server's source reads them and the kernel library
 * writes them: `<model>/<version>/`, named by the version's digits (leading zeros allowed,
 * `00000123` is 123). Version number -> folder name; a model folder that does not exist
 * has none.
 */
export async function versionFolders(modelDir: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const version = entry.isDirectory() ? parseVersion(entry.name) : undefined;
    if (version !== undefined) found.set(version, entry.name);
  }
  return found;
}
