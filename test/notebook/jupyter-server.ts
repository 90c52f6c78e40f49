import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, stopChild, waitUntilReady, ROOT } from "../support";

/**
 * Debian's Jupyter server with the tslab kernel, started as a real process on a free
 * loopback port and stopped by its PID. Its Jupyter folders (config, data, runtime) are
 * private to the run; the tslab kernel spec is installed under `stateDir/prefix`.
 */

/** Debian's Python, which has Jupyter (another python3 may come first on PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
const TSLAB = join(ROOT, "node_modules", ".bin", "tslab");

export interface JupyterOptions {
  /** The server's root folder: notebooks open here, and kernels resolve imports from here. */
  readonly rootDir: string;
  /** Where the run keeps its Jupyter folders and kernel spec. */
  readonly stateDir: string;
  /** Extra environment for the server and the kernels it starts. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export interface JupyterServer {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  readonly rootDir: string;
  /** What the server wrote so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Why the Jupyter tests cannot run here, or undefined when they can. */
export function jupyterMissing(): string | undefined {
  const probe = spawnSync(SYSTEM_PYTHON, ["-c", "import jupyter_server"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return "Debian's python3-jupyter-server is not installed (test/setup/install-system-packages.sh installs it)";
  }
  if (!existsSync(TSLAB)) return "tslab is not installed (npm install)";
  return undefined;
}

/** Installs the tslab kernel spec under `<stateDir>/prefix/share/jupyter/kernels`. */
function installKernelSpec(stateDir: string): string {
  const prefix = join(stateDir, "prefix");
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

export async function startJupyterServer(options: JupyterOptions): Promise<JupyterServer> {
  const jupyterPath = installKernelSpec(options.stateDir);
  for (const dir of ["config", "data", "runtime"]) {
    mkdirSync(join(options.stateDir, dir), { recursive: true });
  }
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const child = spawn(
    SYSTEM_PYTHON,
    [
      "-m",
      "jupyter_server",
      "--allow-root",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${options.rootDir}`,
    ],
    {
      cwd: options.rootDir,
      env: {
        ...process.env,
        ...options.env,
        JUPYTER_PATH: jupyterPath,
        JUPYTER_CONFIG_DIR: join(options.stateDir, "config"),
        JUPYTER_DATA_DIR: join(options.stateDir, "data"),
        JUPYTER_RUNTIME_DIR: join(options.stateDir, "runtime"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const server: JupyterServer = {
    pid: child.pid!,
    port,
    token,
    baseUrl,
    rootDir: options.rootDir,
    output: () => output,
    stop: () => stopChild(child),
  };
  await waitUntilReady(
    child,
    async () =>
      (await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } })).ok,
    () => output,
    options.timeoutMs ?? 60_000,
  );
  return server;
}
