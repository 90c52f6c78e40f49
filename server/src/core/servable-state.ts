import type { ServingError } from "@servable/protocol";
import type { ServableId } from "./servable-id";

/**
 * The states a servable version passes through, in order, exactly as TF Serving reports
 * them in GetModelStatus (`core/servable_state.h`).
 */
export const MANAGER_STATES = [
  /** The manager tracks the version and has not started to load it. */
  "START",
  /** The loader is loading it (retries of a failed load stay here). */
  "LOADING",
  /** Loaded and ready: requests may use it. */
  "AVAILABLE",
  /** No new requests reach it; it unloads once the requests holding it finish. */
  "UNLOADING",
  /** Gone: unloaded, or failed to load (then `error` says why). */
  "END",
] as const;

export type ManagerState = (typeof MANAGER_STATES)[number];

export interface ServableState {
  readonly id: ServableId;
  readonly state: ManagerState;
  /** Set on END when the load failed. */
  readonly error?: ServingError;
  /** Memory the loader estimated the version needs, when known. */
  readonly estimatedBytes?: number;
  /** The version's size on disk, when known. */
  readonly diskBytes?: number;
  /** What executes the loaded version (Servable.runtime), from AVAILABLE on. */
  readonly runtime?: string;
  /** Why it runs there and not on a faster runtime that was tried (Servable.engineReason). */
  readonly engineReason?: string;
  /** Milliseconds since the epoch when the version entered this state. */
  readonly since: number;
}
