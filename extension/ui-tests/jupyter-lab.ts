import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startJupyterProcess, type JupyterProcess } from "../../test/support/jupyter-process";

/**
 * Starts the test JupyterLab (ui-tests/app, built by its build.mts) on Debian's Jupyter
 * server as a real process on a free loopback port, and stops it by its PID.
 */

export const APP_DIR = join(__dirname, "app");
export const APP_BUILT = join(APP_DIR, "dist", "static", "bundle.js");

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

export interface LabProcess extends JupyterProcess {
  /** The page to open: /lab?token=… sets the login cookie. */
  readonly labUrl: string;
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

  const jupyter = await startJupyterProcess([join(APP_DIR, "lab_app.py")], {
    rootDir: options.rootDir,
    env: { ...options.env, SERVABLE_LAB_STATE: options.stateDir },
    ...(options.port !== undefined && { port: options.port }),
    ...(options.token !== undefined && { token: options.token }),
  });
  return { ...jupyter, labUrl: `${jupyter.baseUrl}/lab?token=${jupyter.token}` };
}
