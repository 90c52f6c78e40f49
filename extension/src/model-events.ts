import { MODEL_EVENTS_PATH, VERSION_STATES, type VersionStateEvent } from "@servable/protocol/wire";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { joinUrl, type ServerAddress } from "./request";

/**
 * Follows the server's push channel of version state changes (`GET /v1/models:watch`,
 * Server-Sent Events; protocol/src/model-events-wire.ts), so the sidebar draws a load
 * that lasts milliseconds, which its poll would miss. Read with fetch rather than
 * EventSource: EventSource cannot send the token a server with --require_auth_for_reads
 * asks for. It reconnects on its own and resumes from the last event it saw; a server
 * without the channel (an older one) is asked again now and then while the sidebar polls.
 */

/** live: the stream is open and replayed; off: not started; unavailable: polling only. */
export type PushStatus = "off" | "connecting" | "live" | "unavailable";

export interface ModelEventsHandlers {
  /** A version changed state; `live` is false while the server replays earlier changes. */
  onVersion(event: VersionStateEvent, live: boolean): void;
  /** The replay is over: what follows is live (a good time to read the listing again). */
  onReady(): void;
  /** Changes were lost (a new server process, or too long away): start over. */
  onReset(): void;
  onStatus(status: PushStatus): void;
}

export interface ModelEventsOptions {
  /** First wait before reconnecting after a failure; doubles up to `maxRetryMs` (server's `retry`). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** A stream silent this long is dead (the server comments every 15 s). */
  readonly silenceMs?: number;
}

export class ModelEventsWatcher {
  #status: PushStatus = "off";
  #abort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastEventId: string | undefined;
  #retryMs: number;
  #failures = 0;
  #running = false;
  readonly #maxRetryMs: number;
  readonly #silenceMs: number;

  constructor(
    private readonly address: () => ServerAddress,
    private readonly handlers: ModelEventsHandlers,
    options: ModelEventsOptions = {},
  ) {
    this.#retryMs = options.retryMs ?? 2000;
    this.#maxRetryMs = options.maxRetryMs ?? 30_000;
    this.#silenceMs = options.silenceMs ?? 45_000;
  }

  get status(): PushStatus {
    return this.#status;
  }

  /** Connects (again, from scratch: another server's ids mean nothing here). */
  start(): void {
    this.stop();
    this.#running = true;
    this.#lastEventId = undefined;
    this.#failures = 0;
    void this.#connect();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#abort?.abort();
    this.#abort = undefined;
    this.#setStatus("off");
  }

  async #connect(): Promise<void> {
    if (!this.#running) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#setStatus("connecting");
    const address = this.address();
    const query = this.#lastEventId
      ? `?last_event_id=${encodeURIComponent(this.#lastEventId)}`
      : "";
    let silence: ReturnType<typeof setTimeout> | undefined;
    const heard = () => {
      clearTimeout(silence);
      silence = setTimeout(() => abort.abort(), this.#silenceMs);
    };
    let live = false;
    let unavailable = false;
    try {
      heard();
      const response = await fetch(joinUrl(address.serverUrl, MODEL_EVENTS_PATH + query), {
        headers: address.token ? { Authorization: `Bearer ${address.token}` } : {},
        signal: abort.signal,
        cache: "no-store",
      });
      const type = response.headers.get("content-type") ?? "";
      if (!response.ok || !type.startsWith("text/event-stream") || !response.body) {
        // An older server (no such route) or a refusal: polling it is, for a while.
        unavailable = true;
        await response.body?.cancel();
        return;
      }
      const parser = createParser({
        onEvent: (message) => {
          if (this.#handle(message, live)) {
            live = true;
            this.#failures = 0;
            this.#setStatus("live");
          }
        },
        onRetry: (ms) => (this.#retryMs = ms),
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        heard();
        parser.feed(value);
      }
    } catch {
      // Network failure, silence, or stop(): the finally below decides what follows.
    } finally {
      clearTimeout(silence);
      if (this.#abort === abort && this.#running) {
        this.#setStatus("unavailable");
        this.#failures++;
        const wait = unavailable
          ? this.#maxRetryMs
          : Math.min(this.#maxRetryMs, this.#retryMs * 2 ** Math.max(0, this.#failures - 1));
        this.#timer = setTimeout(() => void this.#connect(), wait);
      }
    }
  }

  /** Hands a message on; true when it ends the replay. */
  #handle(message: EventSourceMessage, live: boolean): boolean {
    if (message.id) this.#lastEventId = message.id;
    switch (message.event) {
      case "version": {
        const event = parseVersionEvent(message.data);
        if (event) this.handlers.onVersion(event, live);
        return false;
      }
      case "ready":
        this.handlers.onReady();
        return true;
      case "reset":
        this.handlers.onReset();
        return false;
      default:
        return false;
    }
  }

  #setStatus(status: PushStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.handlers.onStatus(status);
  }
}

/** A `version` event's data, read field by field; undefined when it is not one. */
export function parseVersionEvent(data: string): VersionStateEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Partial<Record<keyof VersionStateEvent, unknown>>;
  const status = v.status as Partial<VersionStateEvent["status"]> | undefined;
  if (
    typeof v.name !== "string" ||
    typeof v.version !== "string" ||
    !(VERSION_STATES as readonly unknown[]).includes(v.state) ||
    typeof v.since !== "string"
  ) {
    return undefined;
  }
  return {
    name: v.name,
    version: v.version,
    state: v.state as VersionStateEvent["state"],
    since: v.since,
    status: {
      error_code: typeof status?.error_code === "string" ? status.error_code : "OK",
      error_message: typeof status?.error_message === "string" ? status.error_message : "",
    },
  };
}
