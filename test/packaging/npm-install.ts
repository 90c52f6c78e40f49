import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * npm as a user runs it: the machine's npm with its defaults, in a folder outside the
 * workspace, so that neither the workspace's `.npmrc` nor the `npm_config_*` variables an
 * enclosing `npm test` exports (they carry that `.npmrc`) reach it, nor the user's own
 * `~/.npmrc` (an empty file stands in for it).
 */

/** The environment without npm's configuration variables. */
export function npmDefaultsEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_/i.test(key) && !/^onnxruntime_node_install/i.test(key),
    ),
  );
}

export interface NpmRun {
  readonly code: number | null;
  readonly stdout: string;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
}

/** Runs `npm args...` in `cwd` with npm's defaults (see the module comment). */
export function npm(args: readonly string[], cwd: string, userconfig: string): Promise<NpmRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", [...args, `--userconfig=${userconfig}`], {
      cwd,
      env: npmDefaultsEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, output }));
  });
}

/** A fresh npm project folder: a package.json of its own, so npm installs into it. */
export async function newProject(dir: string, name: string): Promise<void> {
  await writeFile(join(dir, "package.json"), JSON.stringify({ name, private: true }) + "\n");
}

/** An install-time script npm ran: `npm info run <pkg>@<version> <event> <path> <command>`. */
export interface ScriptRun {
  readonly pkg: string;
  readonly event: string;
  readonly command: string;
}

/** The install scripts an `npm install --loglevel=verbose` log says it ran. */
export function scriptsRun(log: string): ScriptRun[] {
  const runs: ScriptRun[] = [];
  for (const line of log.split("\n")) {
    const match =
      /^npm info run (\S+)@\S+ (preinstall|install|postinstall|prepare) (?!\{)\S+ (.+)$/.exec(line);
    if (match) runs.push({ pkg: match[1]!, event: match[2]!, command: match[3]! });
  }
  return runs;
}

export interface InstalledPackage {
  readonly name: string;
  readonly dir: string;
  readonly manifest: Manifest;
}

export interface Manifest {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly gypfile?: boolean;
  readonly binary?: unknown;
  readonly scripts?: Record<string, string>;
}

/** Every package installed under `projectDir/node_modules`, nested ones included. */
export async function installedPackages(projectDir: string): Promise<InstalledPackage[]> {
  const found: InstalledPackage[] = [];
  const visitModules = async (modules: string): Promise<void> => {
    for (const entry of await readdir(modules).catch(() => [])) {
      if (entry.startsWith(".")) continue;
      const path = join(modules, entry);
      if (entry.startsWith("@")) await visitModules(path);
      else await visitPackage(path);
    }
  };
  const visitPackage = async (dir: string): Promise<void> => {
    const manifest = JSON.parse(
      await readFile(join(dir, "package.json"), "utf8").catch(() => "{}"),
    ) as Manifest;
    if (manifest.name) found.push({ name: manifest.name, dir, manifest });
    await visitModules(join(dir, "node_modules"));
  };
  await visitModules(join(projectDir, "node_modules"));
  return found;
}

/** Build helpers whose presence means a package compiles or fetches native code. */
const NATIVE_HELPERS = [
  "node-gyp",
  "node-gyp-build",
  "prebuild-install",
  "node-pre-gyp",
  "@mapbox/node-pre-gyp",
  "cmake-js",
];

/** Why `pkg` carries native code (a compiled addon, a build or a prebuilt fetch), if it does. */
export async function nativeParts(pkg: InstalledPackage): Promise<string | undefined> {
  if (existsSync(join(pkg.dir, "binding.gyp"))) return "binding.gyp";
  if (pkg.manifest.gypfile) return "gypfile";
  if (pkg.manifest.binary !== undefined) return 'a "binary" (prebuilt download) field';
  const helper = NATIVE_HELPERS.find((h) => pkg.manifest.dependencies?.[h] !== undefined);
  if (helper) return `depends on ${helper}`;
  const addon = await findFile(pkg.dir, (name) => name.endsWith(".node"));
  return addon ? `ships ${addon}` : undefined;
}

async function findFile(dir: string, test: (name: string) => boolean): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await findFile(path, test);
      if (inner) return inner;
    } else if (test(entry.name)) return path;
  }
  return undefined;
}

/**
 * The packages `root` needs at run time, itself included: its dependencies and optional
 * dependencies, transitively, each resolved as Node resolves it (the nearest
 * node_modules up from the package that asks). Peer dependencies (TF.js for `servable`)
 * are the user's own and left out.
 */
export function dependencyClosure(
  packages: readonly InstalledPackage[],
  root: InstalledPackage,
): InstalledPackage[] {
  const byDir = new Map(packages.map((p) => [p.dir, p]));
  const closure = new Map<string, InstalledPackage>();
  const visit = (pkg: InstalledPackage): void => {
    if (closure.has(pkg.dir)) return;
    closure.set(pkg.dir, pkg);
    const wanted = {
      ...pkg.manifest.dependencies,
      ...pkg.manifest.optionalDependencies,
    };
    for (const name of Object.keys(wanted)) {
      const resolved = resolveFrom(byDir, pkg.dir, name);
      if (resolved) visit(resolved);
    }
  };
  visit(root);
  return [...closure.values()];
}

function resolveFrom(
  byDir: ReadonlyMap<string, InstalledPackage>,
  from: string,
  name: string,
): InstalledPackage | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = byDir.get(join(dir, "node_modules", name));
    if (candidate) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Bytes of a package's files (their sizes, as `du --apparent-size`), nested packages left out. */
export async function packageBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += await packageBytes(path);
    else if (entry.isFile()) bytes += (await lstat(path)).size;
  }
  return bytes;
}
