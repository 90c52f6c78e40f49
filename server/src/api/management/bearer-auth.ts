import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { unauthenticated, type ServingError } from "@servable/protocol";

/**
 * Checks `Authorization: Bearer <token>` against the server's token, in constant time.
 * Returns the error to answer with (401), or undefined when the request may pass.
 */
export function checkBearer(req: IncomingMessage, token: string): ServingError | undefined {
  const header = req.headers.authorization;
  if (!header) {
    return unauthenticated(
      "Missing Authorization header: management calls need 'Authorization: Bearer <token>'",
    );
  }
  return checkBearerValue(header, token);
}

/**
 * Checks one `Bearer <token>` value (an HTTP header's, a gRPC metadata entry's) in
 * constant time: the error to answer with, or undefined when it is the token.
 */
export function checkBearerValue(value: string, token: string): ServingError | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  if (!match || !sameSecret(match[1]!, token)) {
    return unauthenticated("Invalid bearer token");
  }
  return undefined;
}

/** Reads that stay open even with --require_auth_for_reads: probes and scrapes. */
export function isOpenPath(path: string, metricsPath: string | undefined): boolean {
  return path === "/v2/health/live" || path === "/v2/health/ready" || path === metricsPath;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
