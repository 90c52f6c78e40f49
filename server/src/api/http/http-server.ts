import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { TlsOptions } from "node:tls";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { invalidArgument, type ServingError } from "@servable/protocol";
import { sendError } from "./error-response";
import { matchInferenceRoute } from "../rest/urls";
import type { HttpInference } from "./http-inference";

/** The limits a client cannot go past on the REST port (flags, with their defaults in flags.ts). */
export interface HttpLimits {
  /** Time a client has to send a request's headers; 0 for Node's default. */
  readonly headersTimeoutMs: number;
  /** Connections open at once; those beyond are closed on arrival (0: no cap). */
  readonly maxConnections: number;
}

export interface HttpServerOptions {
  /** Every route sits under this prefix ("" for none), e.g. behind jupyter-server-proxy. */
  readonly basePath: string;
  readonly cors: boolean;
  /** --require_auth_for_reads: checks every request but CORS preflights; an error answers it. */
  readonly readGuard?: (req: IncomingMessage, path: string) => ServingError | undefined;
  readonly limits: HttpLimits;
  /** HTTPS (--rest_api_ssl): key, certificate, and client certificates asked for or not. */
  readonly tls?: TlsOptions;
}

export type RestServer = HttpServer | HttpsServer;

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, GET, PUT, DELETE",
  "Access-Control-Allow-Headers":
    "Content-Type, Authorization, Content-Encoding, X-Servable-Routing-Key",
  // A page reads which version answered (rollouts).
  "Access-Control-Expose-Headers": "X-Servable-Version",
} as const;

/** Node's default time for a whole request to arrive; uploads of big models need it. */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * One node:http server for the REST port. Inference POSTs go straight to the lean
 * HttpInference; everything else goes to the express app behind it. Slow or broken
 * clients are cut off here: headers must arrive within the headers timeout, the number
 * of connections is capped, and a connection the HTTP parser gives up on is closed.
 */
export function createHttpServer(
  inference: HttpInference,
  app: (req: IncomingMessage, res: ServerResponse) => void,
  options: HttpServerOptions,
  logger: Logger,
): RestServer {
  const basePath = options.basePath.replace(/\/+$/, "");
  const { headersTimeoutMs, maxConnections } = options.limits;
  const make = (
    settings: ServerOptions,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): RestServer =>
    options.tls
      ? createHttpsServer({ ...settings, ...options.tls }, handler)
      : createServer(settings, handler);
  const server = make(
    {
      // Keep idle keep-alive connections a little longer than common load balancers do.
      keepAliveTimeout: 65_000,
      ...(headersTimeoutMs > 0 ? { headersTimeout: headersTimeoutMs } : {}),
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeoutMs),
      // How often the timeouts above are checked (Node's default, 30 s, would let a
      // slow client keep its connection up to 30 s past them).
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      if (options.cors) {
        for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
      }
      let url = req.url ?? "/";
      if (basePath) {
        if (
          url !== basePath &&
          !url.startsWith(`${basePath}/`) &&
          !url.startsWith(`${basePath}?`)
        ) {
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
          inference.handle(req, res, route);
          return;
        }
      }
      app(req, res);
    },
  );
  if (maxConnections > 0) server.maxConnections = maxConnections;
  let warned = 0;
  server.on("drop", () => {
    // Once a minute at most: a flood of connections must not become a flood of logs.
    if (Date.now() - warned < 60_000) return;
    warned = Date.now();
    logger.warn({ maxConnections }, "Connections refused: --rest_api_max_connections are open");
  });
  // Accepting can fail under load (EMFILE when file descriptors run out): the connection is
  // lost, the server is not.
  server.on("error", (error: NodeJS.ErrnoException) => {
    if (server.listening) logger.warn({ err: error.message, code: error.code }, "REST port error");
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    logger.debug({ err: error.message, code: error.code }, "Bad HTTP request");
    refuse(socket, error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400);
  });
  // A failed handshake (plain HTTP on the HTTPS port, a client certificate refused): Node
  // closes that connection; the server serves on.
  server.on("tlsClientError", (error: NodeJS.ErrnoException) => {
    logger.debug({ err: error.message, code: error.code }, "TLS handshake failed");
  });
  return server;
}

/**
 * Answers a connection the HTTP parser gave up on (bad bytes, headers too slow) and closes
 * it. Ending it is not enough: the server allows half-open connections, so a client that
 * keeps sending would keep it open for ever.
 */
function refuse(socket: Duplex, status: 400 | 408): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const reason = status === 408 ? "Request Timeout" : "Bad Request";
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n\r\n`, () => socket.destroy());
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
