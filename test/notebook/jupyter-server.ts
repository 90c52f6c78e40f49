import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  installTslabKernelSpec,
  startJupyterProcess,
  SYSTEM_PYTHON,
  TSLAB,
  type JupyterProcess,
} from "../support/jupyter-process";

/**
 * Debian's Jupyter server with the tslab kernel, started as a real process on a free
 * loopback port and stopped by its PID. Its Jupyter folders (config, data, runtime) are
 * private to the run; the tslab kernel spec is installed under `stateDir/prefix`.
 */

export interface JupyterOptions {
  /** The server's root folder: notebooks open here, and kernels resolve imports from here. */
  readonly rootDir: string;
  /** Where the run keeps its Jupyter folders and kernel spec. */
  readonly stateDir: string;
  /** Extra environment for the server and the kernels it starts. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export interface JupyterServer extends JupyterProcess {
  readonly rootDir: string;
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

export async function startJupyterServer(options: JupyterOptions): Promise<JupyterServer> {
  const jupyterPath = installTslabKernelSpec(join(options.stateDir, "prefix"));
  for (const dir of ["config", "data", "runtime"]) {
    mkdirSync(join(options.stateDir, dir), { recursive: true });
  }
  const jupyter = await startJupyterProcess(["-m", "jupyter_server"], {
    rootDir: options.rootDir,
    cwd: options.rootDir,
    env: {
      ...options.env,
      JUPYTER_PATH: jupyterPath,
      JUPYTER_CONFIG_DIR: join(options.stateDir, "config"),
      JUPYTER_DATA_DIR: join(options.stateDir, "data"),
      JUPYTER_RUNTIME_DIR: join(options.stateDir, "runtime"),
    },
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return { ...jupyter, rootDir: options.rootDir };
}
