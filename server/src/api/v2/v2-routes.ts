import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Router, type Response } from "express";
import { notFound, DEFAULT_SIGNATURE, dims, own, type TensorInfo } from "@servable/protocol";
import type { ServableHandle } from "../../core/servable-handle";
import type { ModelSpec, ServerCore } from "../../core/server-core";
import { v2ModelSpec } from "../rest/urls";
import { dataTypeToV2 } from "./datatypes";

/**
 * The Open Inference Protocol's (KServe V2) reads, so Servable is a V2 runtime too:
 *   GET /v2                                         server metadata
 *   GET /v2/health/live, /v2/health/ready           (in rest-app.ts)
 *   GET /v2/models/{m}[/versions/{v}]               model metadata (its serving_default)
 *   GET /v2/models/{m}[/versions/{v}]/ready         200 when AVAILABLE, 400 otherwise
 * POST .../infer runs on the lean inference path (http/http-inference.ts).
 */
const READY = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/ready$/;
const MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?$/;
/** The same paths without capture groups, for express (which would decode its captures). */
const uncaptured = (pattern: RegExp) => new RegExp(pattern.source.replace(/\((?!\?)/g, "(?:"));

/**
 * @param resolve how a request's version is found: under a rollout, an unversioned model is
 *   its stable version, as for inference
 */
export function v2Router(
  core: ServerCore,
  resolve: (spec: ModelSpec) => ServableHandle = (spec) => core.getServableHandle(spec),
): Router {
  const router = Router();
  const version = serverVersion();

  router.get("/v2", (_req, res) => {
    json(res, 200, { name: "servable", version, extensions: ["binary_tensor_data"] });
  });

  // Matched here rather than by express's route params: those decode the name before
  // Servable's own URL rule (a malformed escape stays as written) could read it.
  router.get(uncaptured(READY), (req, res) => {
    const [, name, version] = READY.exec(req.path)!;
    const spec = v2ModelSpec(name!, version);
    let ready = false;
    try {
      resolve(spec).release();
      ready = true;
    } catch {
      // Not AVAILABLE.
    }
    json(res, ready ? 200 : 400, { name: spec.name, ready });
  });

  router.get(uncaptured(MODEL), (req, res) => {
    const [, name, version] = MODEL.exec(req.path)!;
    const spec = v2ModelSpec(name!, version);
    const handle = resolve(spec);
    try {
      const signature = own(handle.servable.signatures.signature_def, DEFAULT_SIGNATURE);
      if (!signature) throw notFound(`Model ${spec.name} has no ${DEFAULT_SIGNATURE} signature`);
      const describe = ([name, info]: [string, TensorInfo]) => ({
        name,
        datatype: dataTypeToV2(info.dtype),
        shape: dims(info) ?? [-1],
      });
      json(res, 200, {
        name: spec.name,
        versions: core
          .modelStatus(spec.name)
          .filter((s) => s.state === "AVAILABLE")
          .map((s) => String(s.id.version)),
        platform: handle.servable.runtime,
        inputs: Object.entries(signature.inputs).map(describe),
        outputs: Object.entries(signature.outputs).map(describe),
      });
    } finally {
      handle.release();
    }
  });
  return router;
}

function json(res: Response, status: number, body: unknown): void {
  res.status(status).type("application/json").send(JSON.stringify(body));
}

function serverVersion(): string {
  const manifest = JSON.parse(
    readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8"),
  ) as {
    version: string;
  };
  return manifest.version;
}
