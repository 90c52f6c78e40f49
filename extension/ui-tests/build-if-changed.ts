import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * Runs a build only when its inputs changed since the last one that succeeded, or its
 * output is gone: a hash of every input file's path and content is kept in a stamp file
 * (one per build, outside the output so that no package picks it up).
 */
export interface Build {
  /** The folder the input paths are relative to. */
  readonly root: string;
  /** Files and folders (walked) whose content decides whether to rebuild. */
  readonly inputs: readonly string[];
  /** Paths (relative to root) skipped inside input folders: tests, installed files. */
  readonly ignore?: RegExp;
  /** A file the build writes: when it is missing, the build runs. */
  readonly output: string;
  /** Where the hash of the last successful build's inputs is kept. */
  readonly stamp: string;
  readonly run: () => void;
}

/** Builds when needed; answers whether it built. */
export function buildIfChanged(build: Build, force = false): boolean {
  const hash = inputsHash(build);
  const built =
    existsSync(build.output) &&
    existsSync(build.stamp) &&
    readFileSync(build.stamp, "utf8").trim() === hash;
  if (built && !force) return false;
  build.run();
  mkdirSync(dirname(build.stamp), { recursive: true });
  writeFileSync(build.stamp, `${hash}\n`);
  return true;
}

export function inputsHash(build: Pick<Build, "root" | "inputs" | "ignore">): string {
  const hash = createHash("sha256");
  const add = (path: string) => {
    const rel = relative(build.root, path);
    if (build.ignore?.test(rel)) return;
    if (!existsSync(path)) {
      hash.update(`missing ${rel}\0`);
    } else if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
    } else {
      hash.update(`${rel}\0`).update(readFileSync(path)).update("\0");
    }
  };
  for (const input of build.inputs) add(join(build.root, input));
  return hash.digest("hex");
}
