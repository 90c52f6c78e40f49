import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { modelNameProblem, parseVersion } from "@servable/protocol";

/**
 * Version folders on disk, as the server's Source reads them: `<model>/<integer>/`,
 * holding a model's files.
 */

/** Throws when `name` is not a model name the server accepts (folder and URL safe). */
export function checkName(name: string): void {
  const problem = modelNameProblem(name);
  if (problem) throw new Error(problem);
}

/** Version number -> folder name, for the integer-named folders of a model. */
export async function versionNumbers(modelDir: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const version = entry.isDirectory() ? parseVersion(entry.name) : undefined;
    if (version !== undefined) found.set(version, entry.name);
  }
  return found;
}

/** One more than the highest version folder of a model (1 for the first). */
export async function nextVersion(modelDir: string): Promise<number> {
  return Math.max(0, ...(await versionNumbers(modelDir)).keys()) + 1;
}

/** Every file under `dir` (relative paths, `/`-separated) and their total size. */
export async function listFiles(dir: string): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        files.push(relative(dir, path).split("\\").join("/"));
        bytes += (await stat(path)).size;
      }
    }
  };
  await walk(dir);
  return { files: files.sort(), bytes };
}
