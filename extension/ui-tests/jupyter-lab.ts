import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, stopChild, waitUntilReady } from "../../test/support/child-process";

/**
 * Starts the test JupyterLab (ui-tests/app, built by its build.mts) on Debian's Jupyter
 * server as a real process on a free loopback port, and stops it by its PID.
 */

export const APP_DIR = join(__dirname, "app");
export const APP_BUILT = join(APP_DIR, "dist", "static", "bundle.js");
/** Debian's Python, which has Jupyter (another python3 may come first on PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

export interface LabOptions {
  /** The Jupyter root: the workspace the file browser and the Contents API see. */
  readonly rootDir: string;
  /** Settings, workspaces and app settings of this run. */
  readonly stateDir: string;
  /** Defaults of plugins' settings (app-settings/overrides.json), by plugin id. */
  readonly settingsDefaults?: Record<string, Record<string, unknown>>;
  /** Extra environment (e.g. JUPYTER_PATH for extensions installed under a prefix). */
  readonly env?: NodeJS.ProcessEnv;
  /** The port to listen on (default: a free one). */
  readonly port?: number;
  /** The login token (default: a new random one). */
  readonly token?: string;
}

export interface LabProcess {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** The page to open: /lab?token=… sets the login cookie. */
  readonly labUrl: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startLab(options: LabOptions): Promise<LabProcess> {
  if (!existsSync(APP_BUILT)) {
    throw new Error(
      `The test JupyterLab is not built: run \`npm run build:app -w @servable/jupyterlab\``,
    );
  }
  const appSettings = join(options.stateDir, "app-settings");
  mkdirSync(appSettings, { recursive: true });
  mkdirSync(options.rootDir, { recursive: true });
  writeFileSync(
    join(appSettings, "overrides.json"),
    JSON.stringify(
      {
        // No "Jupyter news" prompt, no update check: nothing asks the outside world.
        "@jupyterlab/apputils-extension:notification": {
          fetchNews: "false",
          checkForUpdates: false,
        },
        ...options.settingsDefaults,
      },
      null,
      2,
    ),
  );

  const port = options.port ?? (await freePort());
  const token = options.token ?? randomBytes(16).toString("hex");
  const child = spawn(
    SYSTEM_PYTHON,
    [
      join(APP_DIR, "lab_app.py"),
      "--allow-root",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${options.rootDir}`,
    ],
    {
      env: {
        ...process.env,
        ...options.env,
        SERVABLE_LAB_STATE: options.stateDir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const lab: LabProcess = {
    pid: child.pid!,
    port,
    token,
    baseUrl,
    labUrl: `${baseUrl}/lab?token=${token}`,
    output: () => output,
    stop: () => stopChild(child),
  };
  await waitUntilReady(
    child,
    async () =>
      (await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } })).ok,
    () => output,
  );
  return lab;
}
