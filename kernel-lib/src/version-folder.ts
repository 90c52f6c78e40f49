import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";

/**
 * Version folders on disk, as the server's Source reads them: `<model>/<integer>/`,
 * holding a model's files.
 */

/** A model name the server accepts (folder and URL safe). */
export const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function checkName(name: string): void {
  if (typeof name !== "string" || !MODEL_NAME.test(name) || name.includes("..")) {
    throw new Error(
      `Invalid model name ${JSON.stringify(name)}: use letters, digits, _ . - (not starting with . or -)`,
    );
  }
}

/** Version number -> folder name, for the integer-named folders of a model. */
export async function versionNumbers(modelDir: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() && /^\d{1,15}$/.test(entry.name))
      found.set(Number(entry.name), entry.name);
  }
  return found;
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
