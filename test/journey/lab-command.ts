import { spawn, type ChildProcess } from "node:child_process";
import { ROOT } from "../support";

/**
 * `npm run lab` as a user runs it, in a process group of its own (as a terminal runs a
 * command), stopped as Ctrl-C stops it: SIGINT to that group, by its PID.
 */
export interface LabCommand {
  readonly pid: number;
  /** The one address it printed, which opens the quickstart. */
  readonly url: string;
  /** Milliseconds from the start of the command to the address. */
  readonly startMs: number;
  output(): string;
  /**
   * Ctrl-C: SIGINT to the group, then waits until every process of it has ended (npm ends
   * at once; the command goes on stopping the server and JupyterLab). Past `timeoutMs`, the
   * group gets SIGKILL. Resolves with whether it ended by itself.
   */
  stop(timeoutMs?: number): Promise<boolean>;
}

const ADDRESS = /^\s+(http:\/\/127\.0\.0\.1:\d+\/lab\/tree\/quickstart\.ipynb\?token=\w+)\s*$/m;

export async function startLabCommand(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<LabCommand> {
  const started = Date.now();
  const child = spawn("npm", ["run", "lab", "--", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      stopGroup(child);
      reject(
        new Error(`npm run lab printed no address within ${options.timeoutMs} ms:\n${output}`),
      );
    }, options.timeoutMs ?? 600_000);
    const look = () => {
      const match = ADDRESS.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off("data", look);
      resolve(match[1]!);
    };
    child.stdout!.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm run lab exited (${code}) before printing an address:\n${output}`));
    });
  });
  const startMs = Date.now() - started;

  return {
    pid: child.pid!,
    url,
    startMs,
    output: () => output,
    async stop(timeoutMs = 30_000) {
      if (!groupAlive(child.pid!)) return true;
      process.kill(-child.pid!, "SIGINT");
      const deadline = Date.now() + timeoutMs;
      while (groupAlive(child.pid!)) {
        if (Date.now() > deadline) {
          stopGroup(child, "SIGKILL");
          return false;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return true;
    },
  };
}

/** Whether any process of the group led by `pid` still runs. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function stopGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group has ended.
  }
}
