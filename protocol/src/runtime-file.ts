import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The server's runtime file, as Jupyter writes its own: one JSON file per running server
 * in a per-user folder, `server-<port>.json`, holding where it listens, its process id and,
 * when the server generated its management token, that token (mode 0600). Clients on the
 * same machine (the kernel library) read it, so a local server needs no configuration.
 *
 * No import beyond node: the kernel library loads this module without the server.
 */
export interface RuntimeInfo {
  /** http://host:port[/base] of the REST API. */
  readonly url: string;
  readonly pid: number;
  /** Present only when the server generated its token. */
  readonly token?: string;
}

/** `$SERVABLE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/servable`, else `~/.local/share/servable/runtime`. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SERVABLE_RUNTIME_DIR) return env.SERVABLE_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "servable");
  return join(homedir(), ".local", "share", "servable", "runtime");
}

export function runtimeFilePath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), `server-${port}.json`);
}

/** Writes the file readable by its owner only, through a rename so no reader sees half of it. */
export async function writeRuntimeFile(
  port: number,
  info: RuntimeInfo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const dir = runtimeDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = runtimeFilePath(port, env);
  const temporary = join(dir, `.server-${port}.${randomBytes(6).toString("hex")}.tmp`);
  await writeFile(temporary, `${JSON.stringify(info, null, 1)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return path;
}

/** Removes the file if it is still this process's (a later server may have taken the port). */
export async function removeRuntimeFile(
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const path = runtimeFilePath(port, env);
  const info = await readRuntimeFile(path);
  if (info?.pid === process.pid) await rm(path, { force: true });
}

export async function readRuntimeFile(path: string): Promise<RuntimeInfo | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { url, pid, token } = parsed as Record<string, unknown>;
  if (typeof url !== "string" || typeof pid !== "number") return undefined;
  return typeof token === "string" ? { url, pid, token } : { url, pid };
}

/** Every runtime file of a server whose process still runs. */
export async function runningServers(env: NodeJS.ProcessEnv = process.env): Promise<RuntimeInfo[]> {
  const dir = runtimeDir(env);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: RuntimeInfo[] = [];
  for (const name of names.filter((n) => /^server-\d+\.json$/.test(n))) {
    const info = await readRuntimeFile(join(dir, name));
    if (info && isProcessRunning(info.pid)) found.push(info);
  }
  return found;
}

/** Whether a process of this PID runs on this machine (as any user). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
