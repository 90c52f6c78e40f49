import express, { type NextFunction, type Request, type Response } from "express";
import { invalidArgument, notFound, ServingError, type RolloutView } from "@servable/protocol";
import type { ServerCore } from "../../core/server-core";
import { errorBody, sendError, sendJson } from "./error-response";
import type { ServingMetrics } from "../metrics";
import type { VersionResolver } from "../inference/version-resolver";
import { modelMetadataBody } from "../rest/model-metadata";
import { listModels, modelStatusBody, protobufJson } from "../rest/model-status";
import { matchStatusRoute } from "../rest/urls";
import { v2Router } from "../v2/v2-routes";

export interface RestAppOptions {
  /** Where Prometheus scrapes; undefined when the metrics endpoint is off. */
  readonly metricsPath: string | undefined;
  /** Extra routers mounted before the TF Serving fallbacks (the management API). */
  readonly routers?: readonly express.Router[];
  /** A model's rollout for the listing (`rollout` on each model that has one). */
  readonly rolloutOf?: (name: string) => RolloutView | undefined;
  /** The versions' content digests, listed by GET /v1/models. */
  readonly digestOf?: (name: string, version: number) => string | undefined;
  /** How metadata resolves its version (under a rollout, unversioned is stable); default: the core's rule. */
  readonly resolve?: VersionResolver["resolve"];
}

/**
 * Everything off the inference hot path, on express:
 *   GET /v1/models                                      every model (Servable's listing)
 *   GET /v1/models:watch                                version state changes, pushed (model-events.ts)
 *   GET /v1/models/{m}[/versions/{v}|/labels/{l}]       TF Serving's model status
 *   GET /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata   signatures
 *   GET /v2/health/live, /v2/health/ready               health without a model name (200, or 400
 *                                                        when not ready, as the V2 protocol says)
 *   GET /v2, /v2/models/{m}[/versions/{v}][/ready]      the V2 protocol's reads (v2/v2-routes.ts)
 *   GET <metrics path>                                  Prometheus text
 * Any other /v1/ request is TF Serving's 400 "Malformed request".
 */
export function createRestApp(
  core: ServerCore,
  metrics: ServingMetrics,
  options: RestAppOptions,
): express.Express {
  const resolveVersion = options.resolve ?? ((spec) => core.getServableHandle(spec));
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/v2/health/live", (_req, res) => {
    res.type("application/json").send(JSON.stringify({ live: true }));
  });
  app.get("/v2/health/ready", (_req, res) => {
    const ready = core.isReady();
    res
      .status(ready ? 200 : 400)
      .type("application/json")
      .send(JSON.stringify({ ready }));
  });

  if (options.metricsPath) {
    app.get(options.metricsPath, async (_req, res) => {
      const { contentType, body } = await metrics.exposition();
      res.type(contentType).send(body);
    });
  }

  app.use(v2Router(core, resolveVersion));
  for (const router of options.routers ?? []) app.use(router);

  app.get(/^\/v1\//i, (req, res) => {
    const route = matchStatusRoute(req.path);
    if (!route) throw malformed(req);
    if (!route.spec) {
      sendBody(res, protobufJson(listModels(core, options.rolloutOf, options.digestOf)));
      return;
    }
    const { name, version } = route.spec;
    if (route.metadata) {
      const handle = resolveVersion(route.spec);
      try {
        sendBody(res, modelMetadataBody(name, handle.id.version, handle.servable.signatures));
      } finally {
        handle.release();
      }
      return;
    }
    // TF Serving answers a label's status with every version of the model.
    sendBody(res, modelStatusBody(core.modelStatus(name, version)));
  });

  app.all(/^\/v1\//i, (req) => {
    throw malformed(req);
  });
  app.use((req, res) => {
    res
      .status(404)
      .type("application/json")
      .send(errorBody(notFound(`Not found: ${req.method} ${req.path}`)));
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    sendError(res, fromHttpError(error));
  });
  return app;
}

/**
 * Errors express and its parsers raise about the request itself (a URL escape that does
 * not decode, a body that does not parse) carry a 4xx `status`: the client's error, not
 * the server's. Everything else keeps its own code.
 */
function fromHttpError(error: unknown): unknown {
  if (error instanceof ServingError || !(error instanceof Error)) return error;
  const status = (error as { status?: unknown }).status;
  if (typeof status !== "number" || status < 400 || status > 499) return error;
  const clientError = invalidArgument(error.message);
  if (status !== 400) clientError.httpStatus = status;
  return clientError;
}

function malformed(req: Request): Error {
  return invalidArgument(`Malformed request: ${req.method} ${req.originalUrl}`);
}

/** Exactly `Content-Type: application/json` as TF Serving sends (express would add a charset). */
function sendBody(res: Response, body: string): void {
  sendJson(res, 200, body);
}
