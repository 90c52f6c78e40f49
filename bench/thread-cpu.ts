import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { THREAD_NAMES } from "../server/src/execution/thread-name";

/**
 * CPU time of a process's threads, from /proc/<pid>/task/<tid>/stat (utime + stime, in
 * clock ticks), grouped as the throughput table shows it:
 *   rest    the process's first thread (tid = pid): HTTP, parsing, batching, writing
 *   models  threads named servable-model (model replicas name themselves)
 *   other   everything else: libuv's pool, V8's compiler and GC helpers, the JSON codec worker
 * Linux only; elsewhere every sample is empty and the table says "-".
 */
export type ThreadGroup = "rest" | "models" | "other";

export interface CpuSample {
  /** Ticks per thread id, with the thread's name. */
  readonly threads: ReadonlyMap<number, { readonly name: string; readonly ticks: number }>;
}

export type CpuByGroup = Record<ThreadGroup, number>;

const MODEL_THREAD = THREAD_NAMES.replica;

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every Linux we run on). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function sampleThreads(pid: number): CpuSample {
  const threads = new Map<number, { name: string; ticks: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { threads };
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    // "tid (name) state ...": the name may hold spaces and parentheses; fields follow the last ")".
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    // Fields 14 and 15 of stat(5), utime and stime; fields[0] is field 3.
    const ticks = Number(fields[11]) + Number(fields[12]);
    threads.set(Number(tid), { name: stat.slice(open + 1, close), ticks });
  }
  return { threads };
}

/**
 * CPU microseconds each group spent between two samples. A thread that started in between
 * counts from zero; one that ended in between is lost (its last ticks are not in `after`).
 */
export function cpuBetween(pid: number, before: CpuSample, after: CpuSample): CpuByGroup {
  const usPerTick = 1e6 / ticksPerSecond();
  const out: CpuByGroup = { rest: 0, models: 0, other: 0 };
  for (const [tid, { name, ticks }] of after.threads) {
    const spent = ticks - (before.threads.get(tid)?.ticks ?? 0);
    const group: ThreadGroup = tid === pid ? "rest" : name === MODEL_THREAD ? "models" : "other";
    out[group] += spent * usPerTick;
  }
  return out;
}
