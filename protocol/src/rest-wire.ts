import type { SignatureDef } from "./signature";

/**
 * The server's REST answers as JSON, as the server writes them and the kernel library and
 * the sidebar read them: TF Serving's GetModelStatus and GetModelMetadata (protobuf's JSON
 * form, proto field names, versions as strings), Servable's listing of every model, and
 * the management API's answers (docs/management-api.md: versions as numbers).
 *
 * Types only, with no Node or protobufjs import: a browser bundle takes them from
 * `@servable/protocol/wire`.
 */

/** TF Serving's version states, in lifecycle order (core/servable_state.h). */
export const VERSION_STATES = ["START", "LOADING", "AVAILABLE", "UNLOADING", "END"] as const;

export type VersionState = (typeof VERSION_STATES)[number];

/** One version in GetModelStatus (apis/get_model_status.proto's ModelVersionStatus). */
export interface ModelVersionStatus {
  readonly version: string;
  readonly state: VersionState;
  /** TF Serving's error code ("OK" unless a load failed) and message. */
  readonly status: { readonly error_code: string; readonly error_message: string };
}

/** GET /v1/models/{name}[/versions/{v}|/labels/{l}] */
export interface GetModelStatusResponse {
  readonly model_version_status: readonly ModelVersionStatus[];
}

/** One version in Servable's listing: its status plus labels, size and since when it serves. */
export interface ListedVersion extends ModelVersionStatus {
  /** The labels pointing at this version, sorted. */
  readonly labels: readonly string[];
  /** Bytes of the version's files on disk, once the manager has measured them. */
  readonly size_bytes?: number;
  /** When the version last became AVAILABLE (ISO 8601). */
  readonly available_since?: string;
  /** Its files' digest (version-digest.ts), once the server has read them. */
  readonly content_digest?: string;
  /** The engine that runs it, once loaded: a TF.js model compiled to ONNX runs on "onnxruntime". */
  readonly engine?: VersionEngine;
  /** Why a TF.js model runs on TF.js rather than ONNX Runtime, when that was tried. */
  readonly engine_reason?: string;
}

export type VersionEngine = "tfjs" | "onnxruntime";

export interface ListedModel {
  readonly name: string;
  /** label -> version (parsed JSON: read it with `own()`, a label is a chosen name). */
  readonly labels: Readonly<Record<string, string>>;
  readonly model_version_status: readonly ListedVersion[];
  /** The model's rollout, when it has one (docs/rollouts.md). */
  readonly rollout?: RolloutView;
}

/** GET /v1/models: Servable's listing of every model (TF Serving has no such call). */
export interface ModelListResponse {
  readonly models: readonly ListedModel[];
}

/** GET /v1/models/{name}[/versions/{v}|/labels/{l}]/metadata */
export interface GetModelMetadataResponse {
  readonly model_spec: {
    readonly name: string;
    readonly signature_name: string;
    readonly version: string;
  };
  readonly metadata: {
    readonly signature_def: {
      readonly signature_def: Readonly<Record<string, SignatureDef>>;
    };
  };
}

/** POST /v1/models/{name}/versions and DELETE /v1/models/{name}/versions/{v} */
export interface VersionChangeResponse {
  readonly name: string;
  readonly version: number;
  readonly state: VersionState;
}

/** PUT /v1/models/{name}/labels/{label} */
export interface LabelSetResponse {
  readonly name: string;
  readonly label: string;
  readonly version: number;
}

/** DELETE /v1/models/{name}/labels/{label} */
export interface LabelRemovedResponse {
  readonly name: string;
  readonly label: string;
}

/** Every error answer: TF Serving's error body. */
export interface ErrorResponse {
  readonly error: string;
}

/*
 * Rollouts (docs/rollouts.md): a `stable` version, a candidate that takes a share of the
 * unversioned traffic and a share of stable's requests as shadow traffic, guard rails,
 * promote and roll back, through the management API.
 */

/** REST and V2 request header: requests with the same key land on the same version. */
export const ROUTING_KEY_HEADER = "x-servable-routing-key";
/** gRPC metadata key of the same routing key. */
export const ROUTING_KEY_METADATA = "x-servable-routing-key";
/** REST and V2 response header of every inference answer: the version that answered. */
export const VERSION_HEADER = "x-servable-version";

/** `running`: the candidate takes its share; `rolled_back`: it takes no unversioned traffic. */
export type RolloutStateName = "running" | "rolled_back";

/**
 * When the server rolls a candidate back by itself: over the last `window_seconds`, with at
 * least `min_requests` candidate requests, its error rate exceeds stable's by more than
 * `max_error_rate_increase`, or its p99 latency exceeds `max_p99_ratio` x stable's.
 */
export interface RolloutGuard {
  readonly window_seconds: number;
  readonly min_requests: number;
  readonly max_error_rate_increase: number;
  readonly max_p99_ratio: number;
}

/**
 * PUT /v1/models/{name}/rollout. Every field is optional but `candidate` on a new rollout;
 * omitted fields keep their value (a new rollout starts at share 0, shadow 0). `guard`:
 * the fields given replace those of the rollout's guard (the others keep theirs, or the
 * server's default); `null` drops the rollout's own guard (the server's default applies).
 */
export interface RolloutRequest {
  readonly candidate?: number;
  /** Fraction of unversioned requests the candidate answers, in [0, 1]. */
  readonly share?: number;
  /** Fraction of stable's (unversioned) requests also run on the candidate, in [0, 1]. */
  readonly shadow?: number;
  /** The version to label `stable` (default: the label as it is, else the highest AVAILABLE other version). */
  readonly stable?: number;
  readonly guard?: Partial<RolloutGuard> | null;
}

/** POST /v1/models/{name}/rollout:rollback */
export interface RollbackRequest {
  /** Also delete the candidate version (as DELETE .../versions/N does) and end the rollout. */
  readonly delete_candidate?: boolean;
}

/** One version's requests in the stats window. Latencies are null without a successful request. */
export interface RolloutVersionStats {
  /** Requests the rollout routed to it (errors that are the client's own are not counted). */
  readonly requests: number;
  readonly requests_per_second: number;
  readonly errors: number;
  /** errors / requests (0 without requests). */
  readonly error_rate: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
}

/** The candidate's shadow runs in the stats window. */
export interface RolloutShadowStats {
  /** Shadow runs whose outputs were compared with stable's. */
  readonly compared: number;
  /** Agreeing comparisons / compared (null when nothing was compared). */
  readonly agreement: number | null;
  /** Shadow runs that failed on the candidate. */
  readonly errors: number;
  /** Shadow runs shed: too many in flight, or the candidate not loaded here. */
  readonly dropped: number;
  /** Largest |stable - candidate| over every compared output value (null when none). */
  readonly max_abs_diff: number | null;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
}

/** This server's own sliding window (each replica reports what it saw). */
export interface RolloutStats {
  readonly window_seconds: number;
  readonly stable: RolloutVersionStats;
  readonly candidate: RolloutVersionStats;
  readonly shadow: RolloutShadowStats;
}

/**
 * A model's rollout: GET/PUT /v1/models/{name}/rollout, POST .../rollout:rollback, and
 * `rollout` on the model in GET /v1/models.
 */
export interface RolloutView {
  readonly name: string;
  /** The `stable` label's version as requests resolve it here (null: no such label, so no routing). */
  readonly stable: number | null;
  readonly candidate: number;
  readonly share: number;
  readonly shadow: number;
  readonly state: RolloutStateName;
  /**
   * Why it was rolled back ("" while running): starts with `error_rate:` or `p99:` when a
   * guard rail fired, `manual:` when rolled back through the API.
   */
  readonly reason: string;
  /** The guard in effect: the rollout's own, else the server's `--rollout_guard`, else null. */
  readonly guard: RolloutGuard | null;
  readonly updated_at: string;
  readonly updated_by: string;
  readonly stats: RolloutStats;
}

/** POST .../rollout:rollback with `delete_candidate: true`: the last view, and the deletion. */
export interface RollbackResponse extends RolloutView {
  readonly candidate_deleted?: boolean;
}

/** POST /v1/models/{name}/rollout:promote */
export interface PromoteResponse {
  readonly name: string;
  readonly stable: number;
}

/** DELETE /v1/models/{name}/rollout */
export interface RolloutRemovedResponse {
  readonly name: string;
}
