import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** What the tests need of the processes they start: a free port, and a clean stop by PID. */

/** A free TCP port on loopback (the kernel picks it; we release it for the process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** SIGTERM to the child's PID, then SIGKILL if it has not exited within 10 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid!, "SIGTERM");
  const timer = setTimeout(
    () => child.exitCode === null && process.kill(child.pid!, "SIGKILL"),
    10_000,
  );
  await exited;
  clearTimeout(timer);
}

/**
 * Polls `ready` until it answers true; fails if the child exits first or `timeoutMs`
 * passes (then stopping it), quoting what it printed.
 */
export async function waitUntilReady(
  child: ChildProcess,
  ready: () => Promise<boolean>,
  output: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The process exited: ${output()}`);
    try {
      if (await ready()) return;
    } catch {
      // Not answering yet.
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`Not ready within ${timeoutMs} ms: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
