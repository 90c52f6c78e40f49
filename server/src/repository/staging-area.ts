import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { isProcessRunning } from "@servable/protocol";
import { readIfExists, writeFileAtomic } from "./atomic-file";

export interface StagingOptions {
  readonly logger: Logger;
  /** How often the owner file is rewritten, in ms (default 5 s). */
  readonly heartbeatMs?: number;
  /** How long another server's heartbeat may stand still before its folder goes (default 60 s). */
  readonly staleAfterMs?: number;
  /** The clock heartbeats are watched with (a test passes its own). */
  readonly now?: () => number;
  readonly host?: string;
  readonly pid?: number;
  /** Whether a process of this host runs (default: `kill(pid, 0)`). */
  readonly isRunning?: (pid: number) => boolean;
}

export const DEFAULT_HEARTBEAT_MS = 5_000;
export const DEFAULT_STALE_AFTER_MS = 60_000;
const OWNER_FILE = "owner.json";

interface Sighting {
  readonly beat: string;
  readonly since: number;
}

/**
 * One server's staging folder in the repository, `.servable/staging/<server>/`: uploads
 * are written there, deletes moved there, state files written there before they are
 * renamed into place, so nothing half-made is ever in sight of a Source or a reader.
 *
 * The folder belongs to its server: `owner.json` names it (host, pid) and carries a
 * heartbeat the server rewrites every `heartbeatMs`. Another server removes the folder
 * only when its owner is gone (same host, process not running, no beat for two
 * intervals) or its heartbeat is older than `staleAfterMs`. A server on another host
 * measures a heartbeat's age with its own clock, from when it saw the heartbeat change,
 * so clocks that disagree across machines do not matter; on the same host the clock is
 * the same, and the time written in the heartbeat counts.
 */
export class StagingArea {
  readonly #seen = new Map<string, Sighting>();
  readonly #heartbeatMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  readonly #isRunning: (pid: number) => boolean;
  readonly #started = new Date().toISOString();
  #beats = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly root: string,
    readonly id: string,
    private readonly owner: { readonly host: string; readonly pid: number },
    private readonly options: StagingOptions,
  ) {
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#now = options.now ?? Date.now;
    this.#isRunning = options.isRunning ?? isProcessRunning;
  }

  /** Makes this server's folder under `root` (`.servable/staging`) and writes its owner file. */
  static async open(root: string, options: StagingOptions): Promise<StagingArea> {
    const host = options.host ?? hostname();
    const pid = options.pid ?? process.pid;
    const id = `${host.replace(/[^A-Za-z0-9.-]/g, "_")}-${pid}-${randomBytes(4).toString("hex")}`;
    const area = new StagingArea(root, id, { host, pid }, options);
    await area.heartbeat();
    return area;
  }

  /** This server's folder. */
  get dir(): string {
    return join(this.root, this.id);
  }

  /** Beats and sweeps every `heartbeatMs` until `close()`. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      void this.heartbeat()
        .then(() => this.sweep())
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, `Staging ${this.dir}: ${String(error)}`),
        );
    }, this.#heartbeatMs);
    this.#timer.unref();
  }

  /** A path in this server's folder that nothing uses yet (`upload-…`, `delete-…`). */
  newPath(kind: "upload" | "delete"): string {
    return join(this.dir, `${kind}-${randomBytes(8).toString("hex")}`);
  }

  /** Rewrites the owner file (recreating the folder if another server took it for dead). */
  async heartbeat(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.#beats += 1;
    const owner = {
      server: this.id,
      host: this.owner.host,
      pid: this.owner.pid,
      started: this.#started,
      heartbeat: new Date(this.#now()).toISOString(),
      beats: this.#beats,
    };
    await writeFileAtomic(join(this.dir, OWNER_FILE), `${JSON.stringify(owner)}\n`, this.dir);
  }

  /** Removes the folders of servers that are gone or stale; returns their names. */
  async sweep(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const now = this.#now();
    const present = new Set<string>();
    const removed: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === this.id) continue;
      present.add(entry.name);
      const text = (await readIfExists(join(this.root, entry.name, OWNER_FILE))) ?? "";
      const seen = this.#seen.get(entry.name);
      const sighting = seen && seen.beat === text ? seen : { beat: text, since: now };
      this.#seen.set(entry.name, sighting);
      const owner = parseOwner(text);
      const sameHost = owner?.host === this.owner.host;
      const age = Math.max(now - sighting.since, sameHost && owner ? now - owner.heartbeat : 0);
      const gone =
        sameHost &&
        owner !== undefined &&
        !this.#isRunning(owner.pid) &&
        age >= 2 * this.#heartbeatMs;
      if (!gone && age < this.#staleAfterMs) continue;
      await rm(join(this.root, entry.name), { recursive: true, force: true });
      this.#seen.delete(entry.name);
      removed.push(entry.name);
      this.options.logger.warn(
        { staging: entry.name },
        `Removed the staging folder of server ${entry.name}: ${gone ? "its process is gone" : `no heartbeat for ${Math.round(age / 1000)} s`}`,
      );
    }
    for (const name of this.#seen.keys()) if (!present.has(name)) this.#seen.delete(name);
    return removed;
  }

  /** Stops the heartbeat and removes this server's folder (what is in it was never in place). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}

function parseOwner(text: string): { host: string; pid: number; heartbeat: number } | undefined {
  try {
    const parsed = JSON.parse(text) as { host?: unknown; pid?: unknown; heartbeat?: unknown };
    const heartbeat = typeof parsed.heartbeat === "string" ? Date.parse(parsed.heartbeat) : NaN;
    if (
      typeof parsed.host === "string" &&
      Number.isSafeInteger(parsed.pid) &&
      Number.isFinite(heartbeat)
    ) {
      return { host: parsed.host, pid: parsed.pid as number, heartbeat };
    }
  } catch {
    // Not (yet) an owner file: only its heartbeat's age counts.
  }
  return undefined;
}
