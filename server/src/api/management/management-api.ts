import type { IncomingMessage } from "node:http";
import type { Router } from "express";
import type { Logger } from "pino";
import { type ServingError, removeRuntimeFile, writeRuntimeFile } from "@servable/protocol";
import type { ModelFormat } from "../../formats/model-format";
import type { ServerCore } from "../../core/server-core";
import { resolveToken, type ServerToken } from "./auth-token";
import { checkBearer, isOpenPath } from "./bearer-auth";
import type { LabelState } from "../../repository/label-state";
import { managementRouter } from "./management-router";
import { ModelRepository } from "../../repository/model-repository";
import type { RepositoryState } from "../../repository/repository-state";
import type { Rollouts } from "../rollout/rollouts";
import { heldByRollout, rolloutRouter } from "./rollout-router";

export interface ManagementOptions {
  /** The model repository's shared state; undefined without --model_repository. */
  readonly repository: RepositoryState | undefined;
  /** Where labels set through the API live (the repository's, or this server's memory). */
  readonly labels: LabelState;
  /** True when the served models are the repository's folders (no --model_config_file). */
  readonly servesRepository: boolean;
  readonly authTokenFile: string;
  readonly requireAuthForReads: boolean;
  readonly maxUploadBytes: number;
  readonly maxUploadFiles: number;
  readonly metricsPath: string | undefined;
  readonly formats: readonly ModelFormat[];
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** The models' rollouts: their calls join the API when present. */
  readonly rollouts?: Rollouts;
}

export interface ManagementApi {
  readonly router: Router;
  readonly token: ServerToken;
  /** With --require_auth_for_reads: the check every other request passes first. */
  readonly readGuard:
    ((req: IncomingMessage, path: string) => ServingError | undefined) | undefined;
  /** Writes the runtime file once the REST port is known (and logs where the token is). */
  announce(port: number, url: string): Promise<void>;
  /** Removes the runtime file. */
  close(): Promise<void>;
}

/** Sets up the management API: the token, and the router over the repository and labels. */
export async function createManagementApi(
  core: ServerCore,
  options: ManagementOptions,
): Promise<ManagementApi> {
  const env = options.env ?? process.env;
  const log = options.logger;
  const token = await resolveToken(options.authTokenFile, env);
  const state = options.repository;
  const repository =
    state?.staging &&
    new ModelRepository({
      layout: state.layout,
      staging: state.staging,
      basePathOf: (name) => core.modelConfig(name)?.basePath,
      servesRepository: options.servesRepository,
      logger: log,
    });
  const router = managementRouter(core, {
    token: token.value,
    repository,
    readOnly: state?.readOnly,
    labels: options.labels,
    formats: options.formats,
    limits: { maxBytes: options.maxUploadBytes, maxFiles: options.maxUploadFiles },
    logger: log,
    heldBy: options.rollouts && heldByRollout(options.rollouts),
  });
  if (options.rollouts) {
    router.use(
      rolloutRouter(core, {
        token: token.value,
        rollouts: options.rollouts,
        labels: options.labels,
        repository,
        readOnly: state?.readOnly,
      }),
    );
  }
  let announcedPort: number | undefined;
  return {
    router,
    token,
    readGuard: options.requireAuthForReads
      ? (req, path) =>
          isOpenPath(path, options.metricsPath) ? undefined : checkBearer(req, token.value)
      : undefined,
    async announce(port, url) {
      const info = {
        url,
        pid: process.pid,
        ...(token.source === "generated" && { token: token.value }),
      };
      const path = await writeRuntimeFile(port, info, env);
      announcedPort = port;
      log.info(
        { runtime_file: path, token_source: token.source },
        token.source === "generated"
          ? `Management API token generated; written to ${path} (mode 0600)`
          : `Management API token from ${token.source === "file" ? options.authTokenFile : "SERVABLE_TOKEN"}; runtime file ${path}`,
      );
    },
    async close() {
      if (announcedPort !== undefined) await removeRuntimeFile(announcedPort, env);
    },
  };
}
