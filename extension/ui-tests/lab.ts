/**
 * `npm run lab`: the serving server (demo models, CORS on, loopback) and the test
 * JupyterLab with the Servable sidebar, both on free ports; prints the address to open.
 * State lives in .servable/lab/ at the repository's root and survives restarts:
 *   repository/  the server's model repository (seeded with the demo models)
 *   workspace/   the Jupyter root; workspace/models/ holds exported versions to deploy
 * Ctrl-C stops both.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../../test/support/server-process";
import { APP_BUILT, startLab, type LabProcess } from "./jupyter-lab";

const EXTENSION_DIR = join(__dirname, "..");
const ROOT = join(EXTENSION_DIR, "..");
const STATE = join(ROOT, ".servable", "lab");
const DEMO_MODELS = join(ROOT, "server", "demo", "models");

function run(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: "inherit" });
}

async function main(): Promise<void> {
  console.log("Building the extension…");
  run("npm", ["run", "build"], EXTENSION_DIR);
  if (!existsSync(APP_BUILT) || process.argv.includes("--rebuild-app")) {
    console.log("Building the test JupyterLab (once)…");
    run("bash", [join(__dirname, "build-app.sh")], EXTENSION_DIR);
  }

  const repository = join(STATE, "repository");
  const workspace = join(STATE, "workspace");
  if (!existsSync(repository)) cpSync(DEMO_MODELS, repository, { recursive: true });
  const exportedDemo = join(workspace, "models", "half_plus_two", "2");
  if (!existsSync(join(workspace, "models"))) {
    // A second version of the demo model, exported but not served: the one to Deploy.
    cpSync(join(DEMO_MODELS, "half_plus_two", "1"), exportedDemo, { recursive: true });
  }
  const labextensions = join(STATE, "labextensions");
  rmSync(labextensions, { recursive: true, force: true });
  mkdirSync(join(labextensions, "@servable"), { recursive: true });
  symlinkSync(
    join(EXTENSION_DIR, "servable_jupyterlab", "labextension"),
    join(labextensions, "@servable", "jupyterlab"),
  );

  const token = randomBytes(16).toString("hex");
  let server: ServerProcess | undefined;
  let lab: LabProcess | undefined;
  const stop = () => Promise.allSettled([lab?.stop(), server?.stop()]);
  process.once("SIGINT", () => void stop().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(0)));

  try {
    server = await startServer(
      [
        "--model_repository",
        repository,
        "--rest_api_enable_cors_support",
        "--file_system_poll_wait_seconds",
        "1",
      ],
      { env: { SERVABLE_TOKEN: token } },
    );
    lab = await startLab({
      rootDir: workspace,
      stateDir: join(STATE, "jupyter"),
      labextensionsDirs: [labextensions],
      settingsDefaults: {
        "@servable/jupyterlab:plugin": { serverUrl: server.url, token, pollingInterval: 2 },
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  console.log(`
Serving server:  ${server.url}   (token ${token})
JupyterLab:      ${lab.labUrl}

Open the JupyterLab address, then the Servable tab in the left sidebar. Ctrl-C stops both.
`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
