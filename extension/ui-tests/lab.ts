/**
 * `npm run lab`: the whole journey on one machine. Installs the Debian packages Jupyter
 * needs (when missing), builds what changed (the workspace's packages, the sidebar, the
 * JupyterLab application), then starts
 *   - the serving server with the demo models (port 8501 when free), and
 *   - JupyterLab (port 8888 when free) with the Servable sidebar, the TypeScript kernel
 *     (tslab), and a workspace holding the example notebooks, whose kernels find the
 *     server and its token without configuration,
 * and prints one address, which opens the quickstart. Ctrl-C stops both.
 *
 * Options: --state DIR (default .servable/lab: see lab-state.ts), --port N (JupyterLab),
 * --server-port N, --rebuild (build everything again).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../test/support/child-process";
import { startCommand, type ServerProcess } from "../../test/support/server-process";
import { buildIfChanged } from "./build-if-changed";
import { startLab, type LabProcess } from "./jupyter-lab";
import { prepareState, ROOT } from "./lab-state";

/** What the lab's Jupyter needs from Debian (the JupyterLab front end is built from npm). */
const DEBIAN_PACKAGES = ["python3-jupyter-server", "python3-jupyterlab-server", "jupyter-client"];
const EXTENSION = join(ROOT, "extension");
const APP = join(EXTENSION, "ui-tests", "app");
const STAMPS = join(ROOT, ".servable", "builds");

const { values: options } = parseArgs({
  options: {
    state: { type: "string", default: join(ROOT, ".servable", "lab") },
    port: { type: "string" },
    "server-port": { type: "string" },
    rebuild: { type: "boolean", default: false },
  },
});

function step(text: string): void {
  console.log(`· ${text}`);
}

function run(command: string, args: string[], cwd = ROOT): void {
  execFileSync(command, args, { cwd, stdio: "inherit" });
}

/** `preferred` when nothing listens there, else any free port. */
async function portOr(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen(preferred, "127.0.0.1", () => probe.close(() => done(true)));
  });
  return free ? preferred : freePort();
}

function build(): void {
  run("bash", [join(ROOT, "test", "setup", "install-system-packages.sh"), ...DEBIAN_PACKAGES]);
  // The server, the kernel library and the protocol (incremental: quick when unchanged).
  run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b"]);
  const force = options.rebuild;
  const extension = {
    root: ROOT,
    inputs: [
      "extension/src",
      "extension/style",
      "extension/schema",
      "extension/package.json",
      "extension/tsconfig.json",
      "extension/tsconfig.build.json",
      // The extension may bundle the protocol package's code.
      "protocol/src",
    ],
    ignore: /\.test\.ts$/,
    output: join(EXTENSION, "servable_jupyterlab", "labextension", "package.json"),
    stamp: join(STAMPS, "extension.sha256"),
    run: () => {
      step("Building the Servable sidebar…");
      run("npm", ["run", "build", "--silent"], EXTENSION);
    },
  };
  const app = {
    root: APP,
    inputs: ["package.json", "package-lock.json", "build.mts", "src"],
    output: join(APP, "dist", "static", "bundle.js"),
    stamp: join(STAMPS, "jupyterlab-app.sha256"),
    run: () => {
      step(
        existsSync(join(APP, "node_modules"))
          ? "Building JupyterLab…"
          : "Installing and building JupyterLab from npm's @jupyterlab packages (first start only, about a minute)…",
      );
      run("bash", [join(EXTENSION, "ui-tests", "build-app.sh")], EXTENSION);
    },
  };
  const built = [extension, app].filter((b) => buildIfChanged(b, force));
  if (built.length === 0) step("Nothing to build: the sidebar and JupyterLab are up to date.");
}

async function main(): Promise<void> {
  build();
  step("Preparing the workspace and the TypeScript kernel…");
  const state = prepareState(resolve(options.state));
  for (const note of state.notes) step(note);

  let server: ServerProcess | undefined;
  let lab: LabProcess | undefined;
  const stop = () => Promise.allSettled([lab?.stop(), server?.stop()]);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void stop().then(() => process.exit(0)));
  }

  const serverPort = options["server-port"] ? Number(options["server-port"]) : await portOr(8501);
  const port = options.port ? Number(options.port) : await portOr(8888);
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  step(
    `Starting the serving server (demo models) on port ${serverPort}, and JupyterLab on ${port}…`,
  );
  // Side by side: JupyterLab needs only the server's address, known already.
  const [started, labStarted] = await Promise.allSettled([
    startCommand(
      [process.execPath, join(ROOT, "server", "dist", "cli.js")],
      [
        "--model_repository",
        state.repository,
        "--rest_api_host=127.0.0.1",
        `--rest_api_port=${serverPort}`,
        "--port=0",
        "--rest_api_enable_cors_support",
        "--file_system_poll_wait_seconds=1",
      ],
      serverPort,
      { env: { SERVABLE_TOKEN: state.tokens.server } },
    ),
    startLab({
      rootDir: state.workspace,
      stateDir: state.jupyterState,
      port,
      token: state.tokens.jupyter,
      // Kernels inherit this environment: the kernel library finds the server and token.
      env: {
        JUPYTER_PATH: state.jupyterPath,
        SERVABLE_URL: serverUrl,
        SERVABLE_TOKEN: state.tokens.server,
      },
      settingsDefaults: {
        "@servable/jupyterlab:plugin": {
          serverUrl,
          token: state.tokens.server,
          pollingInterval: 1,
        },
      },
    }),
  ]);
  if (started.status === "fulfilled") server = started.value;
  if (labStarted.status === "fulfilled") lab = labStarted.value;
  if (!server || !lab) {
    await stop();
    throw started.status === "rejected"
      ? started.reason
      : (labStarted as PromiseRejectedResult).reason;
  }
  console.log(`
Open the quickstart in JupyterLab:

    ${lab.baseUrl}/lab/tree/quickstart.ipynb?token=${lab.token}

The serving server (demo models) answers on port ${server.port}; the Servable tab in the
left sidebar shows what it serves. Workspace: ${state.workspace}. Ctrl-C stops both.
`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
