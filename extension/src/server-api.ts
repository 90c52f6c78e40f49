import {
  VERSION_STATES,
  type GetModelMetadataResponse,
  type ListedModel,
  type ListedVersion,
  type ModelListResponse,
  type RollbackRequest,
  type RolloutRequest,
  type SignatureDef,
  type TensorInfo,
  type VersionChangeResponse,
  type VersionState,
} from "@servable/protocol/wire";
import { parseJson, requestServer, ServerResponseError, type ServerAddress } from "./request";
import { parseRollout } from "./rollout-view";
import type { RolloutChange, ServedModel, ServedVersion } from "./tokens";

/**
 * The serving server's calls the sidebar makes: TF Serving's REST API, Servable's listing,
 * its management API (docs/management-api.md) and its Prometheus metrics.
 * Every call goes through `requestServer`, so it throws only its two typed errors. The
 * answers are read field by field (a server of another version may differ), by the names
 * of @servable/protocol's wire types.
 */

/** A file of a version folder, its path relative to that folder. */
export interface VersionFile {
  readonly path: string;
  readonly data: Blob;
}

/** A TensorInfo of TF Serving's metadata: dtype and shape (-1 for an unknown size). */
export interface TensorSpec {
  readonly dtype: string;
  readonly shape: readonly number[] | null;
}

export interface SignatureSpec {
  readonly methodName: string;
  readonly inputs: Readonly<Record<string, TensorSpec>>;
}

export type SignatureMap = Readonly<Record<string, SignatureSpec>>;

export class ServerApi {
  constructor(private readonly address: () => ServerAddress) {}

  get serverUrl(): string {
    return this.address().serverUrl;
  }

  /** GET /v1/models: every model with its versions. */
  async listModels(): Promise<ServedModel[]> {
    return parseModelList(parseJson(await requestServer(this.address(), "v1/models")));
  }

  /** GET /v1/models/{name}/versions/{v}/metadata: the version's signatures. */
  async signatures(name: string, version: string): Promise<SignatureMap> {
    const answer = await requestServer(this.address(), `${versionPath(name, version)}/metadata`);
    return parseSignatures(parseJson(answer));
  }

  /** POSTs a request body to `versionPath:method`; resolves with the answer's text. */
  async infer(
    name: string,
    version: string,
    method: InferenceMethod,
    body: string,
  ): Promise<string> {
    const path = `${versionPath(name, version)}:${method}`;
    return (await requestServer(this.address(), path, { method: "POST", body })).text;
  }

  /**
   * POST /v1/models/{name}/versions: uploads a version folder's files as a new version,
   * numbered by the server; resolves with its number and state.
   */
  async uploadVersion(
    name: string,
    files: readonly VersionFile[],
  ): Promise<{ version: string; state: string }> {
    const form = new FormData();
    for (const file of files) form.append(file.path, file.data, file.path);
    const answer = parseJson(
      await requestServer(this.address(), `v1/models/${encodeURIComponent(name)}/versions`, {
        method: "POST",
        body: form,
        authorize: true,
        timeoutMs: 300_000,
      }),
    );
    const version = field<VersionChangeResponse>(answer, "version");
    if (typeof version !== "number") throw malformed("an upload's answer has no version");
    return {
      version: String(version),
      state: stringField<VersionChangeResponse>(answer, "state") ?? "START",
    };
  }

  /** PUT /v1/models/{name}/labels/{label}: points the label at a version. */
  async setLabel(name: string, label: string, version: string): Promise<void> {
    await requestServer(this.address(), labelPath(name, label), {
      method: "PUT",
      body: { version: Number(version) },
      authorize: true,
    });
  }

  /** DELETE /v1/models/{name}/labels/{label}. */
  async removeLabel(name: string, label: string): Promise<void> {
    await requestServer(this.address(), labelPath(name, label), {
      method: "DELETE",
      authorize: true,
    });
  }

  /** DELETE /v1/models/{name}/versions/{v}: unloads the version and removes its folder. */
  async deleteVersion(name: string, version: string): Promise<void> {
    await requestServer(this.address(), versionPath(name, version), {
      method: "DELETE",
      authorize: true,
    });
  }

  /** PUT /v1/models/{name}/rollout: starts or changes the rollout. */
  async setRollout(name: string, change: RolloutChange): Promise<void> {
    const body: RolloutRequest = {
      ...(change.candidate !== undefined && { candidate: Number(change.candidate) }),
      ...(change.share !== undefined && { share: change.share }),
      ...(change.shadow !== undefined && { shadow: change.shadow }),
    };
    await requestServer(this.address(), rolloutPath(name), {
      method: "PUT",
      body,
      authorize: true,
    });
  }

  /** POST /v1/models/{name}/rollout:promote */
  async promote(name: string): Promise<void> {
    await requestServer(this.address(), `${rolloutPath(name)}:promote`, {
      method: "POST",
      authorize: true,
    });
  }

  /** POST /v1/models/{name}/rollout:rollback */
  async rollback(name: string, deleteCandidate: boolean): Promise<void> {
    const body: RollbackRequest = { delete_candidate: deleteCandidate };
    await requestServer(this.address(), `${rolloutPath(name)}:rollback`, {
      method: "POST",
      body,
      authorize: true,
    });
  }

  /** GET /monitoring/prometheus/metrics: Prometheus's text format. */
  async metrics(): Promise<string> {
    return (await requestServer(this.address(), "monitoring/prometheus/metrics")).text;
  }
}

export type InferenceMethod = "predict" | "classify" | "regress";

export function versionPath(name: string, version: string): string {
  return `v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}

function rolloutPath(name: string): string {
  return `v1/models/${encodeURIComponent(name)}/rollout`;
}

function labelPath(name: string, label: string): string {
  return `v1/models/${encodeURIComponent(name)}/labels/${encodeURIComponent(label)}`;
}

/** Reads `GET /v1/models`'s body; anything unexpected is a server error. */
export function parseModelList(body: unknown): ServedModel[] {
  const models = field<ModelListResponse>(body, "models");
  if (!Array.isArray(models)) throw malformed("v1/models has no models list");
  return models.map((model): ServedModel => {
    const name = stringField<ListedModel>(model, "name");
    if (name === undefined) throw malformed("a listed model has no name");
    const labels = field<ListedModel>(model, "labels");
    const statuses = field<ListedModel>(model, "model_version_status");
    const rollout = parseRollout(field<ListedModel>(model, "rollout"));
    return {
      name,
      labels: isRecord(labels)
        ? Object.fromEntries(Object.entries(labels).map(([l, v]) => [l, String(v)]))
        : {},
      versions: (Array.isArray(statuses) ? statuses : []).map(parseVersion),
      ...(rollout && { rollout }),
    };
  });
}

function parseVersion(status: unknown): ServedVersion {
  const state = stringField<ListedVersion>(status, "state") ?? "";
  const error = field<ListedVersion>(status, "status");
  const size = field<ListedVersion>(status, "size_bytes");
  const labels = field<ListedVersion>(status, "labels");
  const since = stringField<ListedVersion>(status, "available_since");
  const digest = stringField<ListedVersion>(status, "content_digest");
  const engine = stringField<ListedVersion>(status, "engine");
  const engineReason = stringField<ListedVersion>(status, "engine_reason");
  return {
    version: String(field<ListedVersion>(status, "version") ?? ""),
    state: (VERSION_STATES as readonly string[]).includes(state) ? (state as VersionState) : "END",
    errorCode: stringField<ListedVersion["status"]>(error, "error_code") ?? "OK",
    errorMessage: stringField<ListedVersion["status"]>(error, "error_message") ?? "",
    labels: Array.isArray(labels) ? labels.map(String) : [],
    ...(typeof size === "number" ? { sizeBytes: size } : {}),
    ...(since ? { availableSince: since } : {}),
    ...(digest ? { contentDigest: digest } : {}),
    ...(engine ? { engine } : {}),
    ...(engineReason ? { engineReason } : {}),
  };
}

/** Reads the metadata endpoint's `signature_def` map (TFS's GetModelMetadata JSON). */
export function parseSignatures(body: unknown): SignatureMap {
  type Metadata = GetModelMetadataResponse["metadata"];
  const defs = field<Metadata["signature_def"]>(
    field<Metadata>(field<GetModelMetadataResponse>(body, "metadata"), "signature_def"),
    "signature_def",
  );
  if (!isRecord(defs)) throw malformed("the metadata has no signature_def map");
  return Object.fromEntries(
    Object.entries(defs).map(([key, def]) => {
      const inputs = field<SignatureDef>(def, "inputs");
      return [
        key,
        {
          methodName: stringField<SignatureDef>(def, "method_name") ?? "tensorflow/serving/predict",
          inputs: Object.fromEntries(
            Object.entries(isRecord(inputs) ? inputs : {}).map(([input, info]) => [
              input,
              tensorSpec(info),
            ]),
          ),
        },
      ];
    }),
  );
}

function tensorSpec(info: unknown): TensorSpec {
  type Shape = TensorInfo["tensor_shape"];
  const shape = field<TensorInfo>(info, "tensor_shape");
  const dims = field<Shape>(shape, "dim");
  const unknownRank = field<Shape>(shape, "unknown_rank") === true;
  return {
    dtype: stringField<TensorInfo>(info, "dtype") ?? "DT_FLOAT",
    shape:
      unknownRank || !Array.isArray(dims)
        ? null
        : dims.map((d) => Number(field<Shape["dim"][number]>(d, "size") ?? -1)),
  };
}

/** The field `key` of a wire object `T`, as read: anything, or undefined when absent. */
function field<T>(value: unknown, key: keyof T & string): unknown {
  return isRecord(value) && Object.prototype.hasOwnProperty.call(value, key)
    ? value[key]
    : undefined;
}

function stringField<T>(value: unknown, key: keyof T & string): string | undefined {
  const v = field<T>(value, key);
  return typeof v === "string" ? v : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(what: string): ServerResponseError {
  return new ServerResponseError(200, `Unexpected answer from the server: ${what}`);
}
