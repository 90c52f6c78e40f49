import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "../test/support/child-process";

export { freePort };

/** Starting and stopping the benchmarks' servers on loopback. */
export const ROOT = join(__dirname, "..");

/** Runs a script in a new Node process; TypeScript through tsx, JavaScript as it is. */
export function node(script: string, args: string[], nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, script, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: script.endsWith(".ts") ? "--import tsx" : "" },
  });
}

/**
 * servable-server as built (`npm run build`), as `npm start` runs it, on `port` (and gRPC
 * on `grpcPort`, or none), quiet but for warnings. `cli` picks another build of it.
 */
export function servable(
  repository: string,
  port: number,
  grpcPort: number,
  flags: string[],
  options: { cli?: string; nodeFlags?: string[] } = {},
): ChildProcess {
  const cli = options.cli ?? join(ROOT, "server", "dist", "cli.js");
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  return node(
    cli,
    [
      `--model_repository=${repository}`,
      `--rest_api_port=${port}`,
      "--rest_api_host=127.0.0.1",
      `--port=${grpcPort}`,
      "--log_level=warn",
      "--file_system_poll_wait_seconds=0",
      ...flags,
    ],
    options.nodeFlags,
  );
}

/** Resolves once the server answers, and for Servable (`models`), once they are AVAILABLE. */
export async function ready(
  child: ChildProcess,
  port: number,
  models: readonly string[] = [],
): Promise<void> {
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout! }).on("line", () => undefined);
  const paths = models.length ? models.map((m) => `/v2/models/${m}/ready`) : ["/"];
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      const statuses = await Promise.all(
        paths.map((p) => fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.status)),
      );
      if (!models.length || statuses.every((s) => s === 200)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server on ${port} did not become ready: ${stderr}`);
}

/** SIGTERM, and resolves when the process has exited (a CPU profile is written by then). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** A server on an empty model repository of its own, for deploys, with its token. */
export interface DeployTarget {
  readonly url: string;
  readonly token: string;
  /** The scratch folder (the repository is in it), removed by `stop`. */
  readonly work: string;
  stop(): Promise<void>;
}

/**
 * servable-server as built, on an empty repository in a new scratch folder, once it has
 * written its runtime file (where the deploy token is read, as the kernel library reads it).
 */
export async function deployTarget(prefix: string, flags: string[]): Promise<DeployTarget> {
  const cli = join(ROOT, "server", "dist", "cli.js");
  if (!existsSync(cli)) throw new Error("Build first: npm run build");
  const work = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(work, "repository"));
  const port = await freePort();
  const runtime = join(work, "runtime");
  const child = spawn(
    process.execPath,
    [
      cli,
      `--model_repository=${join(work, "repository")}`,
      `--rest_api_port=${port}`,
      "--rest_api_host=127.0.0.1",
      "--port=0",
      "--log_level=warn",
      ...flags,
    ],
    { env: { ...process.env, SERVABLE_RUNTIME_DIR: runtime, SERVABLE_TOKEN: "" }, stdio: "ignore" },
  );
  const file = join(runtime, `server-${port}.json`);
  for (let i = 0; !existsSync(file); i++) {
    if (i > 600 || child.exitCode !== null) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const { token } = JSON.parse(await readFile(file, "utf8")) as { token: string };
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    work,
    async stop() {
      await stop(child);
      await rm(work, { recursive: true, force: true });
    },
  };
}
