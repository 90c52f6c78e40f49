import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { DEMO_REPOSITORY } from "./model-versions";
import { startServer, type ServerProcess, type StartOptions } from "./server-process";

/**
 * The servers a test file (or a describe()) runs its tests against, started in its
 * before() hook and stopped in its after() hook. Each helper registers one hook of each
 * kind: node:test in Node 20 runs a file's top-level before() hooks side by side, so a
 * second hook could not count on what the first made, and it runs after() hooks in the
 * order they were registered, so a separate hook could remove a folder under a server
 * still polling it.
 */

/**
 * The server `start` starts, for the tests of the enclosing file or describe(): started in
 * its before() hook, stopped in its after() hook.
 */
export function serverForTests(start: () => Promise<ServerProcess>): ServerProcess {
  let started: ServerProcess | undefined;
  before(async () => {
    started = await start();
  });
  after(() => started?.stop());
  return startedLater(() => started);
}

/** `serverForTests` on the demo repository, with `flags` besides. */
export function demoServerForTests(...flags: string[]): ServerProcess {
  return serverForTests(() => startServer([`--model_repository=${DEMO_REPOSITORY}`, ...flags]));
}

/** A temporary folder for a file's tests, and the servers that run on what it holds. */
export interface ScratchFolder {
  readonly path: string;
  /**
   * `startServer`, with the server stopped before the folder is removed, and its runtime
   * file (where local clients find it) written in the folder unless `options.env` says
   * where: not among those of the user's own servers.
   */
  startServer(args: readonly string[], options?: StartOptions): Promise<ServerProcess>;
}

/**
 * Before the tests of this file, makes a temporary folder named from `prefix` and runs
 * `setUp` with it (to write a model repository, start servers on it); after them, stops
 * the servers `setUp` started and then removes the folder.
 */
export function setUpInScratchFolder(
  prefix: string,
  setUp: (folder: ScratchFolder) => Promise<void>,
): void {
  let path: string | undefined;
  const servers: ServerProcess[] = [];
  before(async () => {
    const folder = await mkdtemp(join(tmpdir(), prefix));
    path = folder;
    await setUp({
      path: folder,
      startServer: async (args, options = {}) => {
        const env = { SERVABLE_RUNTIME_DIR: join(folder, "runtime"), ...options.env };
        const server = await startServer(args, { ...options, env });
        servers.push(server);
        return server;
      },
    });
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    if (path !== undefined) await rm(path, { recursive: true, force: true });
  });
}

/**
 * `setUpInScratchFolder` for a file whose tests share one server: `start` sets the folder up
 * and returns the server it started there.
 */
export function serverInScratchFolder(
  prefix: string,
  start: (folder: ScratchFolder) => Promise<ServerProcess>,
): ServerProcess {
  let started: ServerProcess | undefined;
  setUpInScratchFolder(prefix, async (folder) => {
    started = await start(folder);
  });
  return startedLater(() => started);
}

/**
 * A server declared where the tests can name it, read through to the one a before() hook
 * started (in tests and later hooks); reading it sooner throws.
 */
function startedLater(started: () => ServerProcess | undefined): ServerProcess {
  const current = (): ServerProcess => {
    const server = started();
    if (server === undefined) throw new Error("The server starts in a before() hook");
    return server;
  };
  return {
    get pid() {
      return current().pid;
    },
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get logs() {
      return current().logs;
    },
    waitForLog: (test, timeoutMs) => current().waitForLog(test, timeoutMs),
    stop: () => current().stop(),
  };
}
