import type {
  ListedModel,
  ModelListResponse,
  ModelVersionStatus,
  RolloutView,
  VersionEngine,
} from "@servable/protocol";
import type { ServableState } from "../../core/servable-state";
import type { ServerCore } from "../../core/server-core";

/**
 * TF Serving's GetModelStatus JSON (apis/get_model_status.proto in protobuf's JSON
 * form), and Servable's listing of every model built from the same entries; the wire
 * types are @servable/protocol's (rest-wire.ts).
 */

export function versionStatus(state: ServableState): ModelVersionStatus {
  return {
    version: String(state.id.version),
    state: state.state,
    status: { error_code: state.error?.code ?? "OK", error_message: state.error?.message ?? "" },
  };
}

/** The body of GET /v1/models/{name}[/versions/{v}]. */
export function modelStatusBody(states: readonly ServableState[]): string {
  return protobufJson({ model_version_status: states.map(versionStatus) });
}

/**
 * The body of GET /v1/models: every model, its versions, states, labels and rollout (and
 * the versions' content digests, when `digestOf` knows them).
 */
export function listModels(
  core: ServerCore,
  rolloutOf?: (name: string) => RolloutView | undefined,
  digestOf?: (name: string, version: number) => string | undefined,
): ModelListResponse {
  return {
    models: core.modelNames().map((name): ListedModel => {
      const labels = core.labelsOf(name);
      const states = safeStatus(core, name);
      const rollout = rolloutOf?.(name);
      return {
        name,
        labels: Object.fromEntries(Object.entries(labels).map(([l, v]) => [l, String(v)])),
        model_version_status: states.map((state) => {
          const since = core.availableSince(name, state.id.version);
          return {
            ...versionStatus(state),
            labels: Object.entries(labels)
              .filter(([, v]) => v === state.id.version)
              .map(([l]) => l)
              .sort(),
            size_bytes: state.diskBytes,
            available_since: since === undefined ? undefined : new Date(since).toISOString(),
            content_digest: digestOf?.(name, state.id.version),
            engine: engineOf(state.runtime),
            engine_reason: state.engineReason,
          };
        }),
        ...(rollout && { rollout }),
      };
    }),
  };
}

/** "onnxruntime" or "tfjs" (any TF.js backend) from what runs the version. */
function engineOf(runtime: string | undefined): VersionEngine | undefined {
  if (runtime === undefined) return undefined;
  return runtime.startsWith("onnxruntime") ? "onnxruntime" : "tfjs";
}

function safeStatus(core: ServerCore, name: string): ServableState[] {
  try {
    return core.modelStatus(name);
  } catch {
    return [];
  }
}

/** Protobuf's JSON printer with add_whitespace, as TF Serving prints its messages. */
export const protobufJson = (value: unknown): string => JSON.stringify(value, null, 1);
