import express, { type Request, type RequestHandler, type Response } from "express";
import type { Logger } from "pino";
import {
  failedPrecondition,
  invalidArgument,
  labelProblem,
  modelNameProblem,
  notFound,
  parseVersion,
  versionFromJson,
  own,
} from "@servable/protocol";
import type { ModelFormat } from "../../formats/model-format";
import type { ServerCore } from "../../core/server-core";
import { readBody } from "../request-body";
import { checkBearer } from "./bearer-auth";
import type { LabelState } from "../../repository/label-state";
import type { ModelRepository } from "../../repository/model-repository";
import { receiveMultipart, type UploadLimits } from "./multipart-upload";
import { deleteVersion } from "./version-delete";

export interface ManagementRouterOptions {
  readonly token: string;
  /** The repository's version folders; undefined without --model_repository. */
  readonly repository: ModelRepository | undefined;
  /** Why the repository cannot be changed through this server, when it cannot. */
  readonly readOnly?: string;
  /** Where labels set here live: the repository state, or this server's memory. */
  readonly labels: LabelState;
  readonly formats: readonly ModelFormat[];
  readonly limits: UploadLimits;
  readonly logger: Logger;
  /** Why a version may not be deleted besides its labels (a rollout's candidate), if it may not. */
  readonly heldBy?: (name: string, version: number) => string | undefined;
}

/**
 * The management API (docs/management-api.md), every change behind the bearer token:
 *   POST   /v1/models/{m}/versions[?version=N]   upload a version (multipart, one part per file)
 *   PUT    /v1/models/{m}/labels/{l}             {"version": N}: point a label at a version
 *   DELETE /v1/models/{m}/labels/{l}             remove a label
 *   DELETE /v1/models/{m}/versions/{v}           unload a version and delete its folder
 *   GET    /v1/models/{m}/labels                 every label, where it is set, whether this API may change it
 * Names and numbers are checked here, once, by @servable/protocol's rules. Handlers write
 * to the repository (folders, label state) and then have the core read it again: the
 * core follows the repository, never the other way. Errors take the REST app's one path.
 */
export function managementRouter(
  core: ServerCore,
  options: ManagementRouterOptions,
): express.Router {
  const router = express.Router();
  const { labels } = options;
  const authorized: RequestHandler = (req, _res, next) => next(checkBearer(req, options.token));
  const repositoryFor = (name: string) =>
    repositoryToChange(options.repository, options.readOnly, name);

  router.post("/v1/models/:name/versions", authorized, async (req: Request, res: Response) => {
    const name = modelName(req);
    const requested = versionQuery(req.query.version);
    const repository = repositoryFor(name);
    // The body is read from now on, while the staging folder is made.
    const staging = repository.startUpload(name);
    const received = receiveMultipart(
      req,
      staging.then((s) => s.filesDir),
      options.limits,
    );
    const [staged, files] = await Promise.allSettled([staging, received]);
    let version: number;
    try {
      if (files.status === "rejected") throw files.reason;
      if (staged.status === "rejected") throw staged.reason;
      checkHoldsModel(files.value.paths, options.formats);
      version = await repository.commitUpload(staged.value, requested);
    } catch (error) {
      // Do not read the rest of a body that is too large: close once answered.
      if (!req.complete) res.setHeader("Connection", "close");
      throw error;
    } finally {
      if (staged.status === "fulfilled") await repository.discardUpload(staged.value);
    }
    // A new model's folder becomes a model when the repository is read again.
    if (!core.modelConfig(name)) await core.reloadConfig();
    core
      .pollNow()
      .catch((error: unknown) =>
        options.logger.error({ err: error, model: name }, "Polling after an upload failed"),
      );
    sendJson(res, 201, { name, version, state: currentState(core, name, version) });
  });

  router.get("/v1/models/:name/labels", (req, res) => {
    const name = modelName(req);
    if (!core.modelNames().includes(name)) {
      throw notFound(`Could not find any versions of model ${name}`);
    }
    sendJson(res, 200, labelListing(core, name, labels));
  });

  router.put("/v1/models/:name/labels/:label", authorized, async (req, res) => {
    const name = modelName(req);
    const label = labelName(req);
    const version = labelVersion(await readBody(req, 64 * 1024));
    core.checkLabelTarget(name, label, version);
    await labels.set(name, label, version);
    await core.refreshLabels();
    sendJson(res, 200, { name, label, version });
  });

  router.delete("/v1/models/:name/labels/:label", authorized, async (req, res) => {
    const name = modelName(req);
    const label = labelName(req);
    core.checkLabelChangeable(name, label);
    if (!(await labels.delete(name, label))) {
      throw notFound(`Model ${name} has no label ${label}`);
    }
    await core.refreshLabels();
    sendJson(res, 200, { name, label });
  });

  router.delete("/v1/models/:name/versions/:version", authorized, async (req, res) => {
    const name = modelName(req);
    const version = versionNumber(param(req, "version"));
    await deleteVersion(core, repositoryFor(name), name, version, options.heldBy);
    sendJson(res, 200, { name, version, state: "END" });
  });

  return router;
}

/**
 * The repository a change to a model's versions goes to.
 * @throws ServingError FAILED_PRECONDITION (read-only) or NOT_FOUND (no --model_repository)
 */
export function repositoryToChange(
  repository: ModelRepository | undefined,
  readOnly: string | undefined,
  name: string,
): ModelRepository {
  if (readOnly) {
    throw failedPrecondition(`The model repository cannot be changed: ${readOnly}`);
  }
  if (!repository) {
    throw notFound(`Model ${name} cannot be changed: the server has no --model_repository`);
  }
  repository.modelDir(name);
  return repository;
}

export function param(req: Request, key: string): string {
  const value = req.params[key];
  if (typeof value !== "string") throw invalidArgument(`Missing ${key} in ${req.path}`);
  return value;
}

export function modelName(req: Request): string {
  const name = param(req, "name");
  const problem = modelNameProblem(name);
  if (problem) throw invalidArgument(problem);
  return name;
}

function labelName(req: Request): string {
  const label = param(req, "label");
  const problem = labelProblem(label);
  if (problem) throw invalidArgument(problem);
  return label;
}

export function versionNumber(text: string): number {
  const version = parseVersion(text);
  if (version === undefined) {
    throw invalidArgument(`Invalid version "${text}": versions are non-negative integers`);
  }
  return version;
}

function versionQuery(value: unknown): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") throw invalidArgument("Give ?version= at most once");
  return versionNumber(value);
}

/** `{"version": N}` (N a number or a string of digits). */
function labelVersion(body: Buffer): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw invalidArgument('Expected a JSON body {"version": N}');
  }
  const value =
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? own(parsed as Record<string, unknown>, "version")
      : undefined;
  if (value === undefined) {
    throw invalidArgument('Expected a JSON body {"version": N} with N a version number');
  }
  const version = versionFromJson(value);
  if (version === undefined) {
    throw invalidArgument(
      `Invalid version ${JSON.stringify(value)}: versions are non-negative integers`,
    );
  }
  return version;
}

interface ListedLabel {
  label: string;
  /** The version the label is set to. */
  version: number;
  /** The version requests for the label get here now (the previous one while the new one loads). */
  serving: number | null;
  set_in: "model_config" | "management_api";
  changeable: boolean;
}

/** GET /v1/models/{m}/labels: where each label is set, and which this API may change. */
function labelListing(core: ServerCore, name: string, state: LabelState) {
  const resolved = core.labelsOf(name);
  const listed: ListedLabel[] = [];
  const config = core.modelConfig(name)?.versionLabels ?? {};
  for (const [label, version] of Object.entries(config)) {
    listed.push({
      label,
      version,
      serving: own(resolved, label) ?? null,
      set_in: "model_config",
      changeable: false,
    });
  }
  for (const [label, version] of state.current().get(name) ?? []) {
    if (core.labelOwner(name, label) !== "state") continue;
    listed.push({
      label,
      version,
      serving: own(resolved, label) ?? null,
      set_in: "management_api",
      changeable: true,
    });
  }
  listed.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return {
    name,
    labels: listed,
    labels_kept_in: state.describe,
    config_labels_kept_in: core.configDescription,
  };
}

function checkHoldsModel(paths: readonly string[], formats: readonly ModelFormat[]): void {
  const topLevel = paths.filter((p) => !p.includes("/"));
  if (formats.some((format) => format.detect(topLevel))) return;
  throw invalidArgument(
    `The upload holds no model the server can load (formats: ${formats.map((f) => f.name).join(", ")}); ` +
      `its files: ${paths.slice(0, 10).join(", ")}${paths.length > 10 ? ", ..." : ""}`,
  );
}

/** The version's state as the server reports it, START until the manager has heard of it. */
function currentState(core: ServerCore, name: string, version: number): string {
  try {
    return core.modelStatus(name, version)[0]?.state ?? "START";
  } catch {
    return "START";
  }
}

export function sendJson(res: Response, status: number, body: unknown): void {
  res
    .status(status)
    .type("application/json")
    .send(JSON.stringify(body, null, 1));
}
