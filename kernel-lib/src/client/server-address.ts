import { runningServers, type RuntimeInfo } from "@servable/protocol";

export const DEFAULT_SERVER_URL = "http://localhost:8501";

/** Where the server is and how to authenticate, as a call may give them. */
export interface ServerOptions {
  /** Base URL of the server's REST API (default: $SERVABLE_URL, else http://localhost:8501). */
  readonly server?: string;
  /** Bearer token for management calls (default: $SERVABLE_TOKEN, else the local server's runtime file). */
  readonly token?: string;
}

export interface ServerAddress {
  readonly url: string;
  readonly token: string | undefined;
}

/**
 * The server a call talks to: the argument, else the environment, else the default. With
 * no token given, a server on this machine that generated its own token is found through
 * its runtime file (as Jupyter clients find Jupyter servers).
 */
export async function resolveServer(
  options: ServerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerAddress> {
  const url = (options.server ?? (env.SERVABLE_URL || DEFAULT_SERVER_URL)).replace(/\/+$/, "");
  const token =
    options.token ??
    (env.SERVABLE_TOKEN || undefined) ??
    findLocalServer(url, await runningServers(env))?.token;
  return { url, token };
}

/** The running local server that `url` names: same port and path, host one of this machine's. */
export function findLocalServer(
  url: string,
  servers: readonly RuntimeInfo[],
): RuntimeInfo | undefined {
  const wanted = parse(url);
  if (!wanted || !isLoopback(wanted.hostname)) return undefined;
  return servers.find((server) => {
    const candidate = parse(server.url);
    return (
      candidate !== undefined &&
      isLoopback(candidate.hostname) &&
      portOf(candidate) === portOf(wanted) &&
      trimPath(candidate.pathname) === trimPath(wanted.pathname)
    );
  });
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return ["localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1", "[::]"].includes(host);
}

const portOf = (url: URL) => url.port || (url.protocol === "https:" ? "443" : "80");
const trimPath = (path: string) => path.replace(/\/+$/, "");
