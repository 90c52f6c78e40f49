/**
 * The one place the sidebar talks HTTP to the serving server. It throws only the two
 * errors below, so callers tell "the server said no" from "the server is not there".
 */

/** The server answered with an error status; `message` is TF Serving's `{"error": ...}`. */
export class ServerResponseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ServerResponseError";
  }
}

/** No answer: the server is down, the address is wrong, or the request timed out. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

export interface ServerAddress {
  readonly serverUrl: string;
  readonly token: string;
}

export interface RequestOptions {
  readonly method?: "GET" | "POST" | "PUT" | "DELETE";
  /** Sent as JSON unless it is FormData or a string. */
  readonly body?: unknown;
  /** Send the bearer token (management calls). */
  readonly authorize?: boolean;
  readonly timeoutMs?: number;
}

export interface ServerAnswer {
  readonly status: number;
  readonly text: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sends one request to `address.serverUrl + path` and returns the answer's text.
 * @throws {ServerResponseError} when the status is not 2xx
 * @throws {NetworkError} when there is no answer
 */
export async function requestServer(
  address: ServerAddress,
  path: string,
  options: RequestOptions = {},
): Promise<ServerAnswer> {
  const headers: Record<string, string> = {};
  let body: BodyInit | undefined;
  if (options.body instanceof FormData || typeof options.body === "string") {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  if (options.authorize && address.token) headers.Authorization = `Bearer ${address.token}`;

  let response: Response;
  try {
    response = await fetch(joinUrl(address.serverUrl, path), {
      method: options.method ?? "GET",
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new NetworkError(networkMessage(address.serverUrl, error));
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new NetworkError(networkMessage(address.serverUrl, error));
  }
  if (!response.ok) throw new ServerResponseError(response.status, errorText(response, text));
  return { status: response.status, text };
}

/** Parses an answer's JSON, as a server error when it is not JSON. */
export function parseJson(answer: ServerAnswer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new ServerResponseError(answer.status, `Not JSON: ${answer.text.slice(0, 200)}`);
  }
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

function errorText(response: Response, text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && "error" in parsed) {
      return String((parsed as { error: unknown }).error);
    }
  } catch {
    // Not TF Serving's error body: fall back to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}

function networkMessage(serverUrl: string, error: unknown): string {
  const reason =
    error instanceof Error && error.name === "TimeoutError"
      ? "no answer in time"
      : error instanceof Error
        ? error.message
        : String(error);
  return `Cannot reach the serving server at ${serverUrl} (${reason})`;
}
