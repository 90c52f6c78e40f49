import { NetworkError, ServerError } from "./errors";
import { parseServerJson, stringifyForServer } from "./json-body";
import type { ServerAddress } from "./server-address";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** A body already written as JSON text (when JSON.stringify would lose a distinction). */
export class RawJson {
  constructor(readonly text: string) {}
}

export interface RequestOptions {
  readonly method?: Method;
  /** A body sent as JSON (a RawJson is sent as written). */
  readonly json?: unknown;
  /** A streamed body with its content type (uploads). */
  readonly stream?: { readonly body: ReadableStream<Uint8Array>; readonly contentType: string };
  /** Give up after this long (default 60 s; 0: never). */
  readonly timeoutMs?: number;
}

/**
 * The one way the library talks to the server: sends the call, returns the parsed JSON
 * answer.
 * @throws ServerError when the server answers with an error status (its message kept)
 * @throws NetworkError when there is no answer
 */
export async function request<T>(
  server: ServerAddress,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const method = options.method ?? (options.json !== undefined ? "POST" : "GET");
  const url = `${server.url}/${path.replace(/^\/+/, "")}`;
  const headers: Record<string, string> = {};
  // Sent on every call: management needs it, and reads do under --require_auth_for_reads.
  if (server.token) headers.Authorization = `Bearer ${server.token}`;
  let body: string | ReadableStream<Uint8Array> | undefined;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = options.json instanceof RawJson ? options.json.text : stringifyForServer(options.json);
  } else if (options.stream) {
    headers["Content-Type"] = options.stream.contentType;
    body = options.stream.body;
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const call = `${method} /${path.replace(/^\/+/, "").replace(/\?.*$/, "")}`;

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      ...(options.stream && { duplex: "half" }),
      ...(timeoutMs > 0 && { signal: AbortSignal.timeout(timeoutMs) }),
    } as RequestInit);
  } catch (error) {
    throw new NetworkError(server.url, describeFailure(error, timeoutMs, Boolean(options.stream)));
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new NetworkError(server.url, describeFailure(error, timeoutMs, false));
  }
  if (!response.ok) {
    throw new ServerError(response.status, errorMessage(text), call, hint(response.status, server));
  }
  try {
    return parseServerJson(text) as T;
  } catch {
    throw new ServerError(
      response.status,
      `Unexpected answer (not JSON): ${text.slice(0, 200)}`,
      call,
    );
  }
}

/** The server's `{"error": "..."}`, or its text. */
function errorMessage(text: string): string {
  try {
    const parsed = parseServerJson(text);
    if (typeof parsed === "object" && parsed !== null) {
      const error = (parsed as Record<string, unknown>).error;
      if (typeof error === "string") return error;
    }
  } catch {
    // Not JSON: the text itself says what happened.
  }
  return text.trim() || "(no message)";
}

function hint(status: number, server: ServerAddress): string {
  if (status === 401) {
    return server.token
      ? "the token given is not the server's: check SERVABLE_TOKEN or the token option"
      : "this call needs the server's token: pass {token} or set SERVABLE_TOKEN";
  }
  if (status === 413)
    return "the server's --max_upload_bytes or --rest_api_max_body_bytes is lower";
  return "";
}

function describeFailure(error: unknown, timeoutMs: number, uploading: boolean): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = err.cause?.code ?? err.cause?.message ?? err.message;
  if (uploading && /other side closed|EPIPE|ECONNRESET|UND_ERR_SOCKET/.test(String(cause))) {
    return `the server closed the connection during the upload (${cause}); is the model over its --max_upload_bytes?`;
  }
  return String(cause);
}
