import type { SignatureDef } from "@servable/protocol";

/** The server's answers, as JSON (TF Serving's shapes, and Servable's listing). */

export type VersionState = "START" | "LOADING" | "AVAILABLE" | "UNLOADING" | "END";

/** One version in TF Serving's GetModelStatus answer. */
export interface VersionStatus {
  readonly version: string;
  readonly state: VersionState;
  readonly status: { readonly error_code: string; readonly error_message: string };
}

/** One version in `GET /v1/models`: the status plus labels, size and since when it serves. */
export interface ListedVersion extends VersionStatus {
  readonly labels: readonly string[];
  readonly size_bytes?: number;
  readonly available_since?: string;
}

export interface ListedModel {
  readonly name: string;
  /** label -> version */
  readonly labels: Readonly<Record<string, string>>;
  readonly model_version_status: readonly ListedVersion[];
}

/** TF Serving's GetModelMetadata answer. */
export interface ModelMetadata {
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

/** Which version of a model a call names: a number, a label, or neither (the latest). */
export interface VersionChoice {
  readonly version?: number;
  readonly label?: string;
}

/** `v1/models/{name}[/versions/{v}|/labels/{l}]`. */
export function modelPath(name: string, choice: VersionChoice = {}): string {
  const base = `v1/models/${encodeURIComponent(name)}`;
  if (choice.version !== undefined && choice.label !== undefined) {
    throw new Error("Give a version or a label, not both");
  }
  if (choice.version !== undefined) return `${base}/versions/${choice.version}`;
  if (choice.label !== undefined) return `${base}/labels/${encodeURIComponent(choice.label)}`;
  return base;
}
