import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort, stopChild } from "./child-process";

export { freePort };

/** The repository's root folder. */
export const ROOT = join(__dirname, "..", "..");

export interface ServerProcess {
  readonly pid: number;
  /** http://127.0.0.1:<port> of the REST API. */
  readonly url: string;
  readonly port: number;
  /** Every log line the server wrote so far (JSON lines, parsed when they parse). */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the first log line matching `test` (already written, or yet to come). */
  waitForLog(
    test: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM to our PID, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Also wait until the server says it is ready (every version found at start AVAILABLE
   * or END), as most tests want; false resolves as soon as the REST port is open.
   */
  waitForModels?: boolean;
}

/**
 * Starts `servable-server` from the sources as a real process on a free loopback port,
 * and resolves once it says it is exporting the REST API (and, by default, is ready).
 */
export async function startServer(
  args: readonly string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const cli = [process.execPath, "--import", "tsx", join(ROOT, "server", "src", "cli.ts")];
  return startCommand(
    cli,
    [
      "--rest_api_host=127.0.0.1",
      `--rest_api_port=${port}`,
      // gRPC stays off unless a test asks for it: its default port (8500) would be shared.
      ...(args.some((a) => /^--port=/.test(a)) ? [] : ["--port=0"]),
      ...args,
    ],
    port,
    options,
  );
}

/**
 * Starts any command that runs servable-server (a script, the built bin) and resolves
 * once the server says it exports the REST API on `port` (and, by default, is ready).
 */
export function startCommand(
  command: readonly string[],
  args: readonly string[],
  port: number,
  options: StartOptions = {},
): Promise<ServerProcess> {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return attach(child, port, options.timeoutMs ?? 60_000, options.waitForModels ?? true);
}

function attach(
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  waitForModels: boolean,
): Promise<ServerProcess> {
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<{
    test: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }>();
  let stderr = "";
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const waiter of waiters) {
      if (waiter.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );

  const waitForLog = (test: (l: Record<string, unknown>) => boolean, ms = 30_000) => {
    const seen = logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const waiter = {
        test,
        resolve: (l: Record<string, unknown>) => (clearTimeout(timer), resolve(l)),
      };
      const fail = (why: string) => {
        if (!waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${why}; stderr: ${stderr}`));
      };
      const timer = setTimeout(() => fail(`No matching server log within ${ms} ms`), ms);
      waiters.add(waiter);
      void exited.then((code) => fail(`The server exited (${code}) before that log`));
    });
  };

  const server: ServerProcess = {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    port,
    logs,
    waitForLog,
    stop: () => stopChild(child),
  };
  const started = Promise.race([
    waitForLog(
      (l) => typeof l.msg === "string" && l.msg.startsWith("Exporting HTTP/REST API"),
      timeoutMs,
    )
      .then(() =>
        waitForModels
          ? waitForLog(
              (l) => typeof l.msg === "string" && l.msg.startsWith("Ready to serve"),
              timeoutMs,
            )
          : undefined,
      )
      .then(() => server),
    exited.then((code) => {
      throw new Error(`servable-server exited with ${code} before serving: ${stderr}`);
    }),
  ]);
  // A start that fails (a timeout) stops the process it spawned: nobody else holds it.
  return started.catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
}

/** POSTs JSON (or a raw string) and returns the status and the parsed or raw body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: tryParse(text) };
}

export async function getJson(
  url: string,
): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, text, json: tryParse(text) };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
