import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeployError, ServerError } from "./client/errors";
import { request } from "./client/request";
import { resolveServer, type ServerAddress, type ServerOptions } from "./client/server-address";
import { uploadVersion } from "./client/upload";
import { showDeployCard } from "./display/deploy-card";
import { uploadProgress } from "./display/progress";
import { exportModel, type ExportedModel } from "./export-model";
import { isModel, type Model } from "./model";
import type { Signatures } from "./signatures";
import {
  labelProblem,
  versionFromJson,
  type GetModelMetadataResponse,
  type GetModelStatusResponse,
  type ModelVersionStatus,
  type TensorInfo,
  type VersionState,
} from "@servable/protocol";
import { modelPath } from "./client/model-path";
import { checkName, listFiles } from "./version-folder";
import type { WarmupRequest } from "./warmup-requests";

export interface DeployOptions extends ServerOptions {
  /** The model's name on the server. */
  readonly name: string;
  /** Signatures to export with a TF.js model (default: the server derives serving_default). */
  readonly signatures?: Signatures;
  /** A label ("stable", "canary") to point at the new version once it is AVAILABLE (needs wait). */
  readonly label?: string;
  /** Wait until the server says AVAILABLE (default) or return once the upload is in. */
  readonly wait?: boolean;
  /** The version number to create (default: the server's next one). */
  readonly version?: number;
  /** "tfjs" (default) or "savedmodel", for a TF.js model. */
  readonly format?: "tfjs" | "savedmodel";
  /** Requests the server replays while it loads the version (see exportModel's `warmup`). */
  readonly warmup?: readonly WarmupRequest[];
  /** Longest wait for AVAILABLE, in milliseconds (default 5 minutes). */
  readonly timeoutMs?: number;
  /** Show upload progress for large models (default: yes). */
  readonly progress?: boolean;
  /** Show the deploy card in tslab (default: yes). */
  readonly display?: boolean;
}

/** What `deploy` returns (and shows as a card in tslab). */
export interface Deployment {
  readonly name: string;
  readonly version: number;
  readonly state: VersionState | string;
  /** The version's predict endpoint. */
  readonly url: string;
  /** A curl line that calls it. */
  readonly curl: string;
}

/** Status polls start fast (a small model loads in milliseconds) and slow down to 500 ms. */
const FIRST_POLL_MS = 10;
const LAST_POLL_MS = 500;

/**
 * Deploys a model as a new version: exports it (a TF.js model), or takes an exported
 * version folder or a model file; uploads it through the management API; waits until the
 * server reports it AVAILABLE (a failed load throws a DeployError carrying the server's
 * message); points `label` at it.
 */
export async function deploy(
  model: Model | ExportedModel | string,
  options: DeployOptions,
): Promise<Deployment> {
  checkName(options.name);
  // Checked before the upload: a label the server refuses would leave an unlabelled version.
  const badLabel = options.label === undefined ? undefined : labelProblem(options.label);
  if (badLabel) throw new Error(badLabel);
  if (options.version !== undefined && versionFromJson(options.version) === undefined) {
    throw new Error(`Invalid version ${options.version}: a non-negative integer`);
  }
  if (options.label !== undefined && options.wait === false) {
    throw new Error("A label can point only at an AVAILABLE version: give label with wait");
  }
  const server = await resolveServer(options);
  const { dir, cleanup } = await versionFolder(model, options);
  let uploaded;
  try {
    const { files, bytes } = await listFiles(dir);
    if (files.length === 0) throw new Error(`${dir} holds no files to deploy`);
    const progress = uploadProgress(`Uploading ${options.name}`, bytes, options.progress !== false);
    uploaded = await uploadVersion(server, options.name, dir, files, {
      ...(options.version !== undefined && { version: options.version }),
      onProgress: (sent) => progress.update(sent),
    });
    progress.done();
  } finally {
    await cleanup();
  }
  const { name, version } = uploaded;
  let state: string = uploaded.state;
  if (options.wait !== false) {
    state = await waitUntilAvailable(server, name, version, options.timeoutMs ?? 300_000);
    if (options.label !== undefined) {
      await request(server, modelPath(name, { label: options.label }), {
        method: "PUT",
        json: { version },
      });
    }
  }
  const url = `${server.url}/${modelPath(name, { version })}:predict`;
  const body =
    state === "AVAILABLE" ? await exampleBody(server, name, version) : '{"instances": [...]}';
  const deployment: Deployment = {
    name,
    version,
    state,
    url,
    curl: `curl -d '${body}' -X POST ${url}`,
  };
  if (options.display !== false) {
    showDeployCard({ ...deployment, ...(options.label !== undefined && { label: options.label }) });
  }
  return deployment;
}

/** The version folder to upload, exported to a temporary folder when needed. */
async function versionFolder(
  model: Model | ExportedModel | string,
  options: DeployOptions,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const keep = async () => {};
  if (typeof model === "object" && model !== null && "path" in model && !isModel(model)) {
    return { dir: model.path, cleanup: keep };
  }
  if (typeof model === "string") {
    const info = await stat(model).catch(() => undefined);
    if (!info) throw new Error(`${model} does not exist`);
    if (info.isDirectory()) return { dir: resolve(model), cleanup: keep };
  }
  const staging = await mkdtemp(join(tmpdir(), "servable-deploy-"));
  const cleanup = () => rm(staging, { recursive: true, force: true });
  try {
    const exported = await exportModel(model as Model | string, staging, {
      name: options.name,
      version: 1,
      ...(options.signatures !== undefined && { signatures: options.signatures }),
      ...(options.format !== undefined && { format: options.format }),
      ...(options.warmup !== undefined && { warmup: options.warmup }),
    });
    return { dir: exported.path, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * Polls the version's status until AVAILABLE. END (a failed load, or unloaded at once)
 * and the timeout throw a DeployError with the server's message.
 */
async function waitUntilAvailable(
  server: ServerAddress,
  name: string,
  version: number,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "START";
  let pause = FIRST_POLL_MS;
  for (;;) {
    let status: ModelVersionStatus | undefined;
    try {
      const answer = await request<GetModelStatusResponse>(server, modelPath(name, { version }));
      status = answer.model_version_status[0];
    } catch (error) {
      // Not known yet: the Source has not polled the new folder.
      if (!(error instanceof ServerError && error.status === 404)) throw error;
    }
    if (status) {
      last = status.state;
      if (status.state === "AVAILABLE") return status.state;
      if (status.state === "END") {
        throw new DeployError(
          name,
          version,
          "END",
          status.status.error_message ||
            "it was unloaded: the server serves the latest version and the labelled ones",
        );
      }
    }
    if (Date.now() > deadline) {
      throw new DeployError(name, version, last, `not AVAILABLE after ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(LAST_POLL_MS, pause * 1.5);
  }
}

/** A request body for the curl line: one instance of zeros shaped as the inputs. */
async function exampleBody(server: ServerAddress, name: string, version: number): Promise<string> {
  let inputs: Record<string, TensorInfo> | undefined;
  try {
    const meta = await request<GetModelMetadataResponse>(
      server,
      `${modelPath(name, { version })}/metadata`,
    );
    const defs = meta.metadata.signature_def.signature_def;
    inputs = (defs.serving_default ?? Object.values(defs)[0])?.inputs;
  } catch {
    inputs = undefined;
  }
  if (!inputs || Object.keys(inputs).length === 0) return '{"instances": [...]}';
  const entries = Object.entries(inputs);
  const instance =
    entries.length === 1
      ? zerosLike(entries[0]![1])
      : Object.fromEntries(entries.map(([key, info]) => [key, zerosLike(info)]));
  // TF Serving's style: floats as 0.0.
  return JSON.stringify({ instances: [instance] }).replace(/(?<=[[,:])0(?=[,\]}])/g, "0.0");
}

/** One instance of an input: its dimensions after the batch one, unknown sizes as 1. */
function zerosLike(info: TensorInfo): unknown {
  const dims = info.tensor_shape.unknown_rank
    ? []
    : info.tensor_shape.dim.slice(1).map((d) => Math.max(1, Number(d.size)));
  const zero = info.dtype === "DT_STRING" ? "" : info.dtype === "DT_BOOL" ? false : 0;
  const fill = (rest: number[]): unknown =>
    rest.length === 0 ? zero : Array.from({ length: rest[0]! }, () => fill(rest.slice(1)));
  return fill(dims);
}
