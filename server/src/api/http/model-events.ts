import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import type { Logger } from "pino";
import type { ModelEventName, VersionStateEvent } from "@servable/protocol";
import type { ServableState } from "../../core/servable-state";
import { versionStatus } from "../rest/model-status";

export interface ModelEventsOptions {
  /** Version state changes as the manager reports them (ServerCore.subscribe). */
  readonly subscribe: (listener: (state: ServableState) => void) => () => void;
  readonly logger: Logger;
  /** A comment on every stream this often, so proxies and clients see it alive (15 s). */
  readonly keepAliveMs?: number;
  /** Changes kept to replay to new streams and to reconnecting ones (1000). */
  readonly historySize?: number;
  /** A client that has this much unsent is too slow: its stream is closed (256 KiB). */
  readonly maxBufferedBytes?: number;
  /** The reconnection delay a client is told to use (2 s). */
  readonly retryMs?: number;
}

interface Recorded {
  readonly seq: number;
  readonly frame: string;
}

/**
 * `GET /v1/models:watch` (protocol/src/model-events-wire.ts): every version state change
 * the manager reports, pushed as Server-Sent Events the moment it happens, so a client
 * sees a load that lasts milliseconds — a poll every few seconds never does.
 *
 * A stream replays the recent changes (all of them kept, or those after the
 * `Last-Event-ID` header or `last_event_id` query a reconnecting client gives), says
 * `ready`, then follows live. Reads' token rules apply (the REST port's read guard runs
 * first). Nothing a client does reaches the manager: a listener only formats a frame and
 * writes it; a client that does not read is cut off once its unsent bytes pass the bound,
 * and reconnects from its last id. `close()` ends every stream (server shutdown).
 */
export class ModelEvents {
  readonly router: express.Router;
  readonly #clients = new Set<ServerResponse>();
  readonly #history: Recorded[] = [];
  /** Ids are `<stream>.<seq>`: an id from another server process is not resumed. */
  readonly #stream = randomBytes(4).toString("hex");
  #seq = 0;
  readonly #unsubscribe: () => void;
  readonly #keepAlive: NodeJS.Timeout;
  readonly #historySize: number;
  readonly #maxBufferedBytes: number;
  readonly #retryMs: number;
  readonly #log: Logger;
  #closed = false;

  constructor(options: ModelEventsOptions) {
    this.#historySize = options.historySize ?? 1000;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
    this.#retryMs = options.retryMs ?? 2000;
    this.#log = options.logger;
    this.#unsubscribe = options.subscribe((state) => this.#publish(state));
    this.#keepAlive = setInterval(
      () => this.#broadcast(": keep-alive\n\n"),
      options.keepAliveMs ?? 15_000,
    );
    this.#keepAlive.unref();
    this.router = express.Router();
    this.router.get(/^\/v1\/models:watch$/, (req, res) => this.#open(req, res));
  }

  /** Streams open now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Ends every stream and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#keepAlive);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #open(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed) {
      res.writeHead(503, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "The server is shutting down" }));
      return;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      // A stream's connection is never reused: closing the stream closes it, so a
      // server that shuts down does not wait for it.
      Connection: "close",
      "X-Accel-Buffering": "no",
    });
    this.#clients.add(res);
    const forget = () => this.#clients.delete(res);
    res.on("close", forget);
    res.on("error", forget);
    req.on("error", forget);

    const resumed = this.#resumeFrom(lastEventId(req));
    let frames = `retry: ${this.#retryMs}\n\n`;
    if (resumed === undefined) {
      // Nothing to resume from, or changes were lost since: the client re-reads the listing.
      if (lastEventId(req) !== undefined) frames += frame("reset", "{}");
      for (const r of this.#history) frames += r.frame;
    } else {
      for (const r of this.#history) if (r.seq > resumed) frames += r.frame;
    }
    frames += frame("ready", "{}");
    this.#write(res, frames);
  }

  /** The seq to resume after, when the id is this stream's and nothing since is lost. */
  #resumeFrom(id: string | undefined): number | undefined {
    if (id === undefined) return undefined;
    const [stream, seqText] = id.split(".");
    const seq = Number(seqText);
    if (stream !== this.#stream || !Number.isSafeInteger(seq) || seq < 0 || seq > this.#seq) {
      return undefined;
    }
    const oldest = this.#history[0]?.seq ?? this.#seq + 1;
    return seq >= oldest - 1 ? seq : undefined;
  }

  #publish(state: ServableState): void {
    const seq = ++this.#seq;
    const data: VersionStateEvent = {
      name: state.id.name,
      ...versionStatus(state),
      since: new Date(state.since).toISOString(),
    };
    const recorded = {
      seq,
      frame: frame("version", JSON.stringify(data), `${this.#stream}.${seq}`),
    };
    this.#history.push(recorded);
    if (this.#history.length > this.#historySize) this.#history.shift();
    this.#broadcast(recorded.frame);
  }

  #broadcast(text: string): void {
    for (const res of this.#clients) this.#write(res, text);
  }

  #write(res: ServerResponse, text: string): void {
    if (res.writableLength > this.#maxBufferedBytes) {
      this.#log.debug(
        { unsent_bytes: res.writableLength },
        "Closing a model event stream whose client does not read",
      );
      this.#clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}

function frame(event: ModelEventName, data: string, id?: string): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

function lastEventId(req: IncomingMessage): string | undefined {
  const header = req.headers["last-event-id"];
  if (typeof header === "string" && header !== "") return header;
  const query = new URL(req.url ?? "/", "http://localhost").searchParams.get("last_event_id");
  return query || undefined;
}
