import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { invalidArgument, type ServingError } from "@servable/protocol";
import { sendError } from "./error-response";
import type { InferenceHandler } from "./inference-handler";
import { matchInferenceRoute } from "./rest/urls";

export interface HttpServerOptions {
  /** Every route sits under this prefix ("" for none), e.g. behind jupyter-server-proxy. */
  readonly basePath: string;
  readonly cors: boolean;
  /** --require_auth_for_reads: checks every request but CORS preflights; an error answers it. */
  readonly readGuard?: (req: IncomingMessage, path: string) => ServingError | undefined;
}

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, GET, PUT, DELETE",
  "Access-Control-Allow-Headers": "Content-Type, Authorization, Content-Encoding",
} as const;

/**
 * One node:http server for the REST port. Inference POSTs go straight to the lean
 * InferenceHandler; everything else goes to the express app behind it.
 */
export function createHttpServer(
  inference: InferenceHandler,
  app: (req: IncomingMessage, res: ServerResponse) => void,
  options: HttpServerOptions,
  logger: Logger,
): Server {
  const basePath = options.basePath.replace(/\/+$/, "");
  const server = createServer((req, res) => {
    if (options.cors) {
      for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    }
    let url = req.url ?? "/";
    if (basePath) {
      if (url !== basePath && !url.startsWith(`${basePath}/`) && !url.startsWith(`${basePath}?`)) {
        res
          .writeHead(404, { "Content-Type": "application/json" })
          .end(`{"error": "Not under ${basePath}"}`);
        return;
      }
      url = url.slice(basePath.length) || "/";
      req.url = url;
    }
    if (req.method === "OPTIONS" && options.cors) {
      answerPreflight(req, res);
      return;
    }
    const denied = options.readGuard?.(req, pathOf(url));
    if (denied) {
      sendError(res, denied);
      return;
    }
    if (req.method === "POST") {
      let route;
      try {
        route = matchInferenceRoute(pathOf(url));
      } catch (error) {
        sendError(res, error);
        return;
      }
      if (route) {
        void inference.handle(req, res, route);
        return;
      }
    }
    app(req, res);
  });
  server.on("clientError", (error, socket) => {
    logger.debug({ err: error.message }, "Bad HTTP request");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  // Keep idle keep-alive connections a little longer than common load balancers do.
  server.keepAliveTimeout = 65_000;
  return server;
}

function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  if (!/^https?:\/\//.test(req.headers.origin ?? "")) {
    sendError(res, invalidArgument("Origin header is missing in CORS preflight"));
    return;
  }
  res.writeHead(200, { "Content-Length": 0 }).end();
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
