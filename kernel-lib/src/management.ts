import { request } from "./client/request";
import { resolveServer, type ServerOptions } from "./client/server-address";
import { showModels, showStatus } from "./display/models-table";
import type {
  GetModelMetadataResponse,
  GetModelStatusResponse,
  LabelRemovedResponse,
  LabelSetResponse,
  ListedModel,
  ModelListResponse,
  ModelVersionStatus,
  VersionChangeResponse,
} from "@servable/protocol";
import { modelPath, type VersionChoice } from "./client/model-path";

/** Where the server is, and whether to show the answer in tslab (default: yes). */
export interface CallOptions extends ServerOptions {
  readonly display?: boolean;
}

/** Every model the server knows, with its versions, states, labels and sizes. */
export async function models(options: CallOptions = {}): Promise<readonly ListedModel[]> {
  const server = await resolveServer(options);
  const { models } = await request<ModelListResponse>(server, "v1/models");
  if (options.display !== false) showModels(models);
  return models;
}

/** The state of every version of a model (or of one), as TF Serving reports it. */
export async function status(
  name: string,
  options: CallOptions & { readonly version?: number } = {},
): Promise<readonly ModelVersionStatus[]> {
  const server = await resolveServer(options);
  const answer = await request<GetModelStatusResponse>(
    server,
    modelPath(name, { ...(options.version !== undefined && { version: options.version }) }),
  );
  if (options.display !== false) showStatus(name, answer.model_version_status);
  return answer.model_version_status;
}

/** The signatures a version serves (TF Serving's metadata answer). */
export async function metadata(
  name: string,
  options: ServerOptions & VersionChoice = {},
): Promise<GetModelMetadataResponse> {
  const server = await resolveServer(options);
  return request<GetModelMetadataResponse>(server, `${modelPath(name, options)}/metadata`);
}

/** Unloads a version (running requests finish first) and deletes it from the server. */
export async function undeploy(
  name: string,
  version: number,
  options: ServerOptions = {},
): Promise<VersionChangeResponse> {
  const server = await resolveServer(options);
  return request(server, modelPath(name, { version }), { method: "DELETE", timeoutMs: 0 });
}

/** Points a label ("stable", "canary") at an AVAILABLE version. */
export async function setLabel(
  name: string,
  label: string,
  version: number,
  options: ServerOptions = {},
): Promise<LabelSetResponse> {
  const server = await resolveServer(options);
  return request(server, modelPath(name, { label }), { method: "PUT", json: { version } });
}

export async function removeLabel(
  name: string,
  label: string,
  options: ServerOptions = {},
): Promise<LabelRemovedResponse> {
  const server = await resolveServer(options);
  return request(server, modelPath(name, { label }), { method: "DELETE" });
}
