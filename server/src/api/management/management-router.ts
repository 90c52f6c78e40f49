import express, { type Request, type RequestHandler, type Response } from "express";
import { invalidArgument } from "@servable/protocol";
import type { ModelFormat } from "../../formats/model-format";
import type { ServerCore } from "../../core/server-core";
import { readBody } from "../request-body";
import { checkBearer } from "./bearer-auth";
import type { LabelStore } from "../../repository/label-store";
import type { ModelRepository } from "../../repository/model-repository";
import { receiveMultipart, type UploadLimits } from "./multipart-upload";

export interface ManagementRouterOptions {
  readonly token: string;
  readonly repository: ModelRepository;
  /** Where labels of repository models persist; undefined without a repository. */
  readonly labels: LabelStore | undefined;
  readonly formats: readonly ModelFormat[];
  readonly limits: UploadLimits;
}

/**
 * The management API (docs/management-api.md), every call behind the bearer token:
 *   POST   /v1/models/{m}/versions[?version=N]   upload a version (multipart, one part per file)
 *   PUT    /v1/models/{m}/labels/{l}             {"version": N}: point a label at a version
 *   DELETE /v1/models/{m}/labels/{l}             remove a label
 *   DELETE /v1/models/{m}/versions/{v}           unload a version and delete its folder
 * Handlers parse, call the repository or the core, and answer JSON; errors take the one
 * error path of the REST app.
 */
export function managementRouter(
  core: ServerCore,
  options: ManagementRouterOptions,
): express.Router {
  const router = express.Router();
  const { repository, labels } = options;
  const authorized: RequestHandler = (req, _res, next) => next(checkBearer(req, options.token));

  router.post("/v1/models/:name/versions", authorized, async (req: Request, res: Response) => {
    const name = param(req, "name");
    const requested = versionQuery(req.query.version);
    const pending = await repository.startVersion(name);
    let version: number;
    try {
      const received = await receiveMultipart(req, pending.filesDir, options.limits);
      checkHoldsModel(received.paths, options.formats);
      version = await repository.commitVersion(pending, requested);
    } catch (error) {
      await repository.discard(pending);
      // Do not read the rest of a body that is too large: close once answered.
      if (!req.complete) res.setHeader("Connection", "close");
      throw error;
    }
    sendJson(res, 201, { name, version, state: currentState(core, name, version) });
  });

  router.put("/v1/models/:name/labels/:label", authorized, async (req, res) => {
    const name = param(req, "name");
    const label = param(req, "label");
    const version = labelVersion(await readBody(req, 64 * 1024));
    core.setLabel(name, label, version);
    if (labels && repository.isManaged(name)) await labels.set(name, label, version);
    sendJson(res, 200, { name, label, version });
  });

  router.delete("/v1/models/:name/labels/:label", authorized, async (req, res) => {
    const name = param(req, "name");
    const label = param(req, "label");
    core.deleteLabel(name, label);
    if (labels && repository.isManaged(name)) await labels.delete(name, label);
    sendJson(res, 200, { name, label });
  });

  router.delete("/v1/models/:name/versions/:version", authorized, async (req, res) => {
    const name = param(req, "name");
    const version = versionNumber(param(req, "version"));
    await repository.deleteVersion(name, version);
    sendJson(res, 200, { name, version, state: "END" });
  });

  return router;
}

function param(req: Request, key: string): string {
  const value = req.params[key];
  if (typeof value !== "string") throw invalidArgument(`Missing ${key} in ${req.path}`);
  return value;
}

function versionNumber(text: string): number {
  const version = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(version)) {
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
  const version =
    typeof parsed === "object" && parsed !== null
      ? (parsed as Record<string, unknown>).version
      : undefined;
  if (typeof version === "number" && Number.isSafeInteger(version) && version >= 0) return version;
  if (typeof version === "string") return versionNumber(version);
  throw invalidArgument('Expected a JSON body {"version": N} with N a version number');
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

function sendJson(res: Response, status: number, body: unknown): void {
  res
    .status(status)
    .type("application/json")
    .send(JSON.stringify(body, null, 1));
}
