import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { modelNameProblem, versionFolders } from "@servable/protocol";

/**
 * Version folders on disk, as the server's Source reads them: `<model>/<integer>/`,
 * holding a model's files.
 */

/** Throws when `name` is not a model name the server accepts (folder and URL safe). */
export function checkName(name: string): void {
  const problem = modelNameProblem(name);
  if (problem) throw new Error(problem);
}

/** One more than the highest version folder of a model (1 for the first). */
export async function nextVersion(modelDir: string): Promise<number> {
  return Math.max(0, ...(await versionFolders(modelDir)).keys()) + 1;
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
