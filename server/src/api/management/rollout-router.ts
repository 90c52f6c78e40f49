import express, { type Request, type RequestHandler } from "express";
import {
  failedPrecondition,
  invalidArgument,
  notFound,
  own,
  versionFromJson,
  type PromoteResponse,
  type RollbackResponse,
  type RolloutGuard,
  type RolloutRemovedResponse,
  type RolloutView,
} from "@servable/protocol";
import type { ServerCore } from "../../core/server-core";
import type { LabelState } from "../../repository/label-state";
import type { ModelRepository } from "../../repository/model-repository";
import { DEFAULT_GUARD, fraction, guardFrom } from "../../repository/rollout-record";
import { STABLE_LABEL, type Rollouts } from "../rollout/rollouts";
import { readBody } from "../request-body";
import { checkBearer } from "./bearer-auth";
import { modelName, repositoryToChange, sendJson } from "./management-router";
import { deleteVersion } from "./version-delete";

export interface RolloutRouterOptions {
  readonly token: string;
  readonly rollouts: Rollouts;
  /** Where the `stable` label is written (the repository state, or this server's memory). */
  readonly labels: LabelState;
  /** For a rollback that deletes its candidate; undefined without --model_repository. */
  readonly repository: ModelRepository | undefined;
  readonly readOnly?: string;
}

/**
 * A model's rollout through the management API (docs/rollouts.md), changes behind the
 * bearer token:
 *   GET    /v1/models/{m}/rollout            the rollout view, 404 without a rollout
 *   PUT    /v1/models/{m}/rollout            start or change it: candidate, share, shadow, stable, guard
 *   POST   /v1/models/{m}/rollout:promote    label `stable` -> the candidate, rollout ended
 *   POST   /v1/models/{m}/rollout:rollback   share and shadow 0, rolled_back; {"delete_candidate": true}
 *                                            also deletes the candidate and ends the rollout
 *   DELETE /v1/models/{m}/rollout            ends it, labels unchanged
 * The handlers write the label and rollout state, then have the core read it again: every
 * server on the repository follows on its next poll.
 */
export function rolloutRouter(core: ServerCore, options: RolloutRouterOptions): express.Router {
  const router = express.Router();
  const { rollouts, labels } = options;
  const authorized: RequestHandler = (req, _res, next) => next(checkBearer(req, options.token));
  const known = (req: Request): string => {
    const name = modelName(req);
    if (!core.modelNames().includes(name)) {
      throw notFound(`Could not find any versions of model ${name}`);
    }
    return name;
  };
  const viewOf = (name: string): RolloutView => {
    const view = rollouts.view(name);
    if (!view) throw notFound(`Model ${name} has no rollout`);
    return view;
  };

  router.get("/v1/models/:name/rollout", (req, res) => {
    sendJson(res, 200, viewOf(known(req)));
  });

  router.put("/v1/models/:name/rollout", authorized, async (req, res) => {
    const name = known(req);
    const body = rolloutRequest(await readBody(req, BODY_LIMIT));
    // The state as the repository holds it now, not as last polled.
    await core.refreshLabels();
    const before = rollouts.record(name);
    const candidate = body.candidate ?? before?.candidate;
    if (candidate === undefined) {
      throw invalidArgument(`Model ${name} has no rollout: give its "candidate" version`);
    }
    checkAvailable(core, name, candidate);
    const wanted = wantedStable(core, labels, name);
    const stable = body.stable ?? wanted ?? highestOtherVersion(core, name, candidate);
    if (stable === candidate) {
      throw invalidArgument(
        `Version ${candidate} of model ${name} is its stable version: the candidate must be another one`,
      );
    }
    if (stable !== wanted) {
      core.checkLabelTarget(name, STABLE_LABEL, stable);
      await labels.set(name, STABLE_LABEL, stable);
    } else {
      checkAvailable(core, name, stable);
    }
    const guard = body.guard === null ? undefined : (body.guard ?? before?.guard);
    await rollouts.write(name, {
      candidate,
      share: body.share ?? before?.share ?? 0,
      shadow: body.shadow ?? before?.shadow ?? 0,
      state: "running",
      reason: "",
      ...(guard && { guard }),
    });
    sendJson(res, 200, viewOf(name));
  });

  router.post("/v1/models/:name/rollout\\:promote", authorized, async (req, res) => {
    const name = known(req);
    await core.refreshLabels();
    const record = rollouts.record(name);
    if (!record) throw notFound(`Model ${name} has no rollout`);
    core.checkLabelTarget(name, STABLE_LABEL, record.candidate);
    await labels.set(name, STABLE_LABEL, record.candidate);
    await rollouts.remove(name);
    const answer: PromoteResponse = { name, stable: record.candidate };
    sendJson(res, 200, answer);
  });

  router.post("/v1/models/:name/rollout\\:rollback", authorized, async (req, res) => {
    const name = known(req);
    const deleteCandidate = rollbackRequest(await readBody(req, BODY_LIMIT));
    await core.refreshLabels();
    const record = rollouts.record(name);
    if (!record) throw notFound(`Model ${name} has no rollout`);
    if (!deleteCandidate) {
      await rollouts.rollBack(name, MANUAL_REASON, "manual", record);
      sendJson(res, 200, viewOf(name));
      return;
    }
    // Everything that could refuse the deletion is checked before anything changes.
    const repository = repositoryToChange(options.repository, options.readOnly, name);
    const labelled = core.labelsAt(name, record.candidate);
    if (labelled.length > 0) {
      throw failedPrecondition(
        `Version ${record.candidate} of model ${name} is labelled ${labelled.join(", ")}: point the label at another version or remove it first`,
      );
    }
    await rollouts.rollBack(name, MANUAL_REASON, "manual", record);
    const last = viewOf(name);
    await rollouts.remove(name);
    await deleteVersion(core, repository, name, record.candidate);
    const answer: RollbackResponse = { ...last, candidate_deleted: true };
    sendJson(res, 200, answer);
  });

  router.delete("/v1/models/:name/rollout", authorized, async (req, res) => {
    const name = known(req);
    if (!(await rollouts.remove(name))) throw notFound(`Model ${name} has no rollout`);
    const answer: RolloutRemovedResponse = { name };
    sendJson(res, 200, answer);
  });

  return router;
}

const BODY_LIMIT = 64 * 1024;
const MANUAL_REASON = "manual: rolled back through the management API";

/** Why a version may not be deleted while a rollout names it (DELETE .../versions/{v}). */
export function heldByRollout(rollouts: Rollouts) {
  return (name: string, version: number): string | undefined =>
    rollouts.record(name)?.candidate === version
      ? `Version ${version} of model ${name} is the candidate of its rollout: promote it, roll it back with "delete_candidate", or end the rollout first`
      : undefined;
}

interface RolloutBody {
  readonly candidate?: number;
  readonly share?: number;
  readonly shadow?: number;
  readonly stable?: number;
  /** null: the server's default guard from now on. */
  readonly guard?: RolloutGuard | null;
}

const ROLLOUT_FIELDS = ["candidate", "share", "shadow", "stable", "guard"];

/** The PUT body, every field checked; the guard's missing fields come from the defaults. */
function rolloutRequest(body: Buffer): RolloutBody {
  const fields = jsonObject(body, '{"candidate": N, "share": 0.1, ...}');
  for (const key of Object.keys(fields)) {
    if (!ROLLOUT_FIELDS.includes(key)) {
      throw invalidArgument(
        `Unknown rollout field "${key}" (the fields: ${ROLLOUT_FIELDS.join(", ")})`,
      );
    }
  }
  const version = (key: string): number | undefined => {
    const value = own(fields, key);
    if (value === undefined) return undefined;
    const parsed = versionFromJson(value);
    if (parsed === undefined) {
      throw invalidArgument(
        `Invalid ${key} ${JSON.stringify(value)}: versions are non-negative integers`,
      );
    }
    return parsed;
  };
  const share = (key: string): number | undefined => {
    const value = own(fields, key);
    if (value === undefined) return undefined;
    const parsed = fraction(value);
    if (parsed === undefined) {
      throw invalidArgument(`Invalid ${key} ${JSON.stringify(value)}: a fraction in [0, 1]`);
    }
    return parsed;
  };
  const rawGuard = own(fields, "guard");
  let guard: RolloutGuard | null | undefined;
  if (rawGuard === null) guard = null;
  else if (rawGuard !== undefined) {
    if (typeof rawGuard !== "object" || Array.isArray(rawGuard)) {
      throw invalidArgument('"guard" must be an object of guard fields, or null');
    }
    const checked = guardFrom(rawGuard as Record<string, unknown>, DEFAULT_GUARD);
    if (typeof checked === "string") throw invalidArgument(checked);
    guard = checked;
  }
  return {
    candidate: version("candidate"),
    share: share("share"),
    shadow: share("shadow"),
    stable: version("stable"),
    ...(guard !== undefined && { guard }),
  };
}

/** `{"delete_candidate": true|false}`, or no body. */
function rollbackRequest(body: Buffer): boolean {
  if (body.length === 0) return false;
  const fields = jsonObject(body, '{"delete_candidate": false}');
  for (const key of Object.keys(fields)) {
    if (key !== "delete_candidate") {
      throw invalidArgument(`Unknown rollback field "${key}" (the field: delete_candidate)`);
    }
  }
  const value = own(fields, "delete_candidate") ?? false;
  if (typeof value !== "boolean") throw invalidArgument('"delete_candidate" must be true or false');
  return value;
}

function jsonObject(body: Buffer, shape: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    throw invalidArgument(`Expected a JSON body ${shape}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument(`Expected a JSON body ${shape}`);
  }
  return parsed as Record<string, unknown>;
}

/** The version the `stable` label is set to (the config's, else the label state's). */
function wantedStable(core: ServerCore, labels: LabelState, name: string): number | undefined {
  return (
    own(core.modelConfig(name)?.versionLabels, STABLE_LABEL) ??
    labels.current().get(name)?.get(STABLE_LABEL)
  );
}

function availableVersions(core: ServerCore, name: string): number[] {
  return core
    .modelStatus(name)
    .filter((s) => s.state === "AVAILABLE")
    .map((s) => s.id.version);
}

/** @throws ServingError FAILED_PRECONDITION, TF Serving's text for a label on such a version */
function checkAvailable(core: ServerCore, name: string, version: number): void {
  if (availableVersions(core, name).includes(version)) return;
  throw failedPrecondition(
    `Request to assign label to version ${version} of model ${name}, which is not currently available for inference`,
  );
}

/** A rollout's stable version when the model has no `stable` label: the highest other AVAILABLE one. */
function highestOtherVersion(core: ServerCore, name: string, candidate: number): number {
  const others = availableVersions(core, name).filter((v) => v !== candidate);
  if (others.length === 0) {
    throw failedPrecondition(
      `Model ${name} has no AVAILABLE version besides ${candidate} to keep as stable: upload one, or give "stable"`,
    );
  }
  return Math.max(...others);
}
