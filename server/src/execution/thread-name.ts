import { writeFileSync } from "node:fs";

/**
 * Names the calling thread for the operating system (`top -H`, `ps -L`, /proc/<pid>/task/
 * <tid>/comm), so that the CPU a model replica or the JSON codec spends can be told apart
 * from the REST thread's (the process's first thread) and Node's own helpers (all "node" on
 * Node 20). A synchronous write runs on the calling thread, so /proc/thread-self is this
 * thread. Linux only, at most 15 bytes; elsewhere, or if /proc is not mounted, the thread
 * keeps its name.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync("/proc/thread-self/comm", name.slice(0, 15));
  } catch {
    // Not Linux, or no /proc: a name is only a convenience.
  }
}

/** The names Servable's threads take (comm holds 15 bytes). */
export const THREAD_NAMES = {
  replica: "servable-model",
  jsonCodec: "servable-json",
} as const;
