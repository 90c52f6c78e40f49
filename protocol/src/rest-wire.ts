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
}

export interface ListedModel {
  readonly name: string;
  /** label -> version (parsed JSON: read it with `own()`, a label is a chosen name). */
  readonly labels: Readonly<Record<string, string>>;
  readonly model_version_status: readonly ListedVersion[];
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
