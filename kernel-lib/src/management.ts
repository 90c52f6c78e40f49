import { request } from "./client/request";
import { resolveServer, type ServerOptions } from "./client/server-address";
import { showModels, showStatus } from "./display/models-table";
import {
  modelPath,
  type ListedModel,
  type ModelMetadata,
  type VersionChoice,
  type VersionStatus,
} from "./server-types";

/** Where the server is, and whether to show the answer in tslab (default: yes). */
export interface CallOptions extends ServerOptions {
  readonly display?: boolean;
}

/** Every model the server knows, with its versions, states, labels and sizes. */
export async function models(options: CallOptions = {}): Promise<ListedModel[]> {
  const server = await resolveServer(options);
  const { models } = await request<{ models: ListedModel[] }>(server, "v1/models");
  if (options.display !== false) showModels(models);
  return models;
}

/** The state of every version of a model (or of one), as TF Serving reports it. */
export async function status(
  name: string,
  options: CallOptions & { readonly version?: number } = {},
): Promise<VersionStatus[]> {
  const server = await resolveServer(options);
  const answer = await request<{ model_version_status: VersionStatus[] }>(
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
): Promise<ModelMetadata> {
  const server = await resolveServer(options);
  return request<ModelMetadata>(server, `${modelPath(name, options)}/metadata`);
}

/** Unloads a version (running requests finish first) and deletes it from the server. */
export async function undeploy(
  name: string,
  version: number,
  options: ServerOptions = {},
): Promise<{ name: string; version: number; state: string }> {
  const server = await resolveServer(options);
  return request(server, modelPath(name, { version }), { method: "DELETE", timeoutMs: 0 });
}

/** Points a label ("stable", "canary") at an AVAILABLE version. */
export async function setLabel(
  name: string,
  label: string,
  version: number,
  options: ServerOptions = {},
): Promise<{ name: string; label: string; version: number }> {
  const server = await resolveServer(options);
  return request(server, modelPath(name, { label }), { method: "PUT", json: { version } });
}

export async function removeLabel(
  name: string,
  label: string,
  options: ServerOptions = {},
): Promise<{ name: string; label: string }> {
  const server = await resolveServer(options);
  return request(server, modelPath(name, { label }), { method: "DELETE" });
}
