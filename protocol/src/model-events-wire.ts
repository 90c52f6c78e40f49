import type { ModelVersionStatus } from "./rest-wire";

/**
 * `GET /v1/models:watch`: Servable's push channel of version state changes, as
 * Server-Sent Events (text/event-stream). Each change is one `version` event whose `data`
 * is a `VersionStateEvent` and whose `id` a client sends back as `Last-Event-ID` when it
 * reconnects. A new stream first replays the server's recent changes (bounded), then
 * sends `ready`; what follows is live. `reset` says changes were lost (the client asked to
 * resume from an id the server no longer holds): read `GET /v1/models` again. Lines
 * starting with `:` are keep-alive comments.
 *
 * Types only: a browser bundle takes them from `@servable/protocol/wire`.
 */

export const MODEL_EVENTS_PATH = "v1/models:watch";

export const MODEL_EVENT_NAMES = ["version", "ready", "reset"] as const;

export type ModelEventName = (typeof MODEL_EVENT_NAMES)[number];

/** The data of a `version` event: a version entered a state. */
export interface VersionStateEvent extends ModelVersionStatus {
  readonly name: string;
  /** When the version entered the state (ISO 8601, milliseconds). */
  readonly since: string;
}
