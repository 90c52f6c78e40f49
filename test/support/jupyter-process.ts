import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { freePort, stopChild, waitUntilReady } from "./child-process";
import { ROOT } from "./server-process";

/**
 * Debian's Jupyter server as a real process on loopback, for the notebook tests (a bare
 * jupyter_server) and for the test JupyterLab of the sidebar's tests and `npm run lab`.
 */

/** Debian's Python, which has Jupyter (another python3 may come first on PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
/** The repository's tslab: the TypeScript kernel the example notebooks run in. */
export const TSLAB = join(ROOT, "node_modules", ".bin", "tslab");

/**
 * Installs tslab's kernel spec under `prefix`, as binder/install.sh does (the kernel started
 * by this tslab's full path, on Debian's Python), and returns the prefix's Jupyter data
 * folder: what JUPYTER_PATH names for the server to find the kernel.
 */
export function installTslabKernelSpec(prefix: string): string {
  const result = spawnSync(
    TSLAB,
    ["install", `--prefix=${prefix}`, `--python=${SYSTEM_PYTHON}`, `--binary=${TSLAB}`],
    { encoding: "utf8" },
  );
  if (result.status !== 0) {
    throw new Error(`tslab install failed: ${result.stdout}${result.stderr}`);
  }
  return join(prefix, "share", "jupyter");
}

export interface JupyterProcessOptions {
  /** The Jupyter root: what the Contents API and the file browser see. */
  readonly rootDir: string;
  /** Extra environment for the server and the kernels it starts. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The port to listen on (default: a free one). */
  readonly port?: number;
  /** The login token (default: a new random one). */
  readonly token?: string;
  readonly timeoutMs?: number;
}

export interface JupyterProcess {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** What the server wrote so far (stdout and stderr). */
  output(): string;
  /** Stops the server by its PID. */
  stop(): Promise<void>;
}

/**
 * Starts a Jupyter server application on Debian's Python: `app` is what comes before the
 * server's options (`-m jupyter_server`, or a script that starts one). It listens on
 * 127.0.0.1 only, on exactly the port given (no retry on another), and is ready once its
 * /api/status answers the token.
 */
export async function startJupyterProcess(
  app: readonly string[],
  options: JupyterProcessOptions,
): Promise<JupyterProcess> {
  const port = options.port ?? (await freePort());
  const token = options.token ?? randomBytes(16).toString("hex");
  const child = spawn(
    SYSTEM_PYTHON,
    [
      ...app,
      "--allow-root",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${options.rootDir}`,
    ],
    {
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    child,
    async () =>
      (await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } })).ok,
    () => output,
    options.timeoutMs,
  );
  return {
    pid: child.pid!,
    port,
    token,
    baseUrl,
    output: () => output,
    stop: () => stopChild(child),
  };
}
