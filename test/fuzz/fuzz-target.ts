import { request as httpRequest } from "node:http";
import * as grpc from "@grpc/grpc-js";
import {
  type ServerProcess,
  servingClient,
  unary,
  type ServiceName,
  type ServingClient,
} from "../support";
import type { GrpcRequest } from "./grpc-requests";
import type { HttpRequest } from "./http-requests";
import { SEED_REQUESTS } from "./fuzz-models";

/**
 * Sends generated requests to a real server process and checks what every answer must be,
 * whatever the input: a 2xx, or a 4xx with TF Serving's error body; never a 5xx (or its gRPC
 * codes), never a connection dropped without an answer, never a crash.
 */

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** How a request ended, when it broke the invariant. */
export type Violation = string | undefined;

/** Bodies bigger than the server's limit are refused early: the socket may close under us. */
export function sendHttp(baseUrl: string, req: HttpRequest, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (req.body.length > 0 || req.method === "POST" || req.method === "PUT") {
      headers["Content-Length"] = req.body.length;
    }
    const r = httpRequest(`${baseUrl}${req.path}`, { method: req.method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    r.setTimeout(30_000, () => r.destroy(new Error("no answer within 30 s")));
    r.on("error", reject);
    r.end(req.body);
  });
}

/** What is wrong with an HTTP answer, or undefined. */
export function checkHttp(answer: Answer): Violation {
  const { status, body } = answer;
  if (status >= 500) return `HTTP ${status}: ${body.slice(0, 300)}`;
  if (status >= 200 && status < 300) return undefined;
  if (status < 400) return `HTTP ${status}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `HTTP ${status} without a JSON error body: ${body.slice(0, 200)}`;
  }
  // Readiness answers its "no" in its own body (KServe V2: 4xx with {"ready": false}).
  if ((parsed as { ready?: unknown }).ready === false) return undefined;
  const error = (parsed as { error?: unknown }).error;
  if (typeof error !== "string" || error === "")
    return `HTTP ${status} body has no "error": ${body.slice(0, 200)}`;
  return undefined;
}

/** gRPC's codes for what HTTP calls a 5xx (a server fault, not the client's). */
const SERVER_FAULTS = new Set([
  grpc.status.UNKNOWN,
  grpc.status.INTERNAL,
  grpc.status.DATA_LOSS,
  grpc.status.UNIMPLEMENTED,
  grpc.status.UNAVAILABLE,
]);

export class GrpcClients {
  readonly #clients: ReadonlyMap<ServiceName, ServingClient>;

  constructor(address: string) {
    this.#clients = new Map(
      (["PredictionService", "ModelService"] as const).map((s) => [s, servingClient(s, address)]),
    );
  }

  /** The call's status code (OK = 0) and details. */
  async send(req: GrpcRequest): Promise<{ code: number; details: string }> {
    try {
      await unary(this.#clients.get(req.service)!, req.method, req.message, {
        deadlineMs: 30_000,
      });
      return { code: 0, details: "" };
    } catch (error) {
      const { code, details } = error as Partial<grpc.ServiceError>;
      // No code: the client could not even serialize it, and nothing reached the server.
      return code === undefined
        ? { code: -1, details: String(error) }
        : { code, details: details ?? "" };
    }
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
  }
}

export function checkGrpc(result: { code: number; details: string }): Violation {
  if (SERVER_FAULTS.has(result.code))
    return `gRPC ${grpc.status[result.code]}: ${result.details.slice(0, 300)}`;
  return undefined;
}

/**
 * After the fuzzing: the seed requests answer as before, and the process is alive and clean.
 * With `uploadsLoaded`, a version whose uploaded files do not load may log its failure (that
 * is the answer to a bad file), but only with a message about the file, never one that shows
 * JavaScript's internals.
 */
export async function checkServerAfter(
  server: ServerProcess,
  { uploadsLoaded = false } = {},
): Promise<string[]> {
  const problems: string[] = [];
  try {
    process.kill(server.pid, 0);
  } catch {
    problems.push("the server process is gone");
    return problems;
  }
  for (const seed of SEED_REQUESTS) {
    const answer = await fetch(`${server.url}${seed.path}`, { method: "POST", body: seed.body });
    const text = (await answer.text()).replace(/\s/g, "");
    if (answer.status !== 200 || text !== seed.answer) {
      problems.push(`${seed.path} answers ${answer.status} ${text.slice(0, 200)}`);
    }
  }
  for (const line of server.logs) {
    const loadFailure =
      uploadsLoaded && line.state === "END" && !JS_INTERNALS.test(String(line.err));
    if (typeof line.level === "number" && line.level >= 50 && !loadFailure)
      problems.push(`logged: ${JSON.stringify(line).slice(0, 300)}`);
    if (/uncaught|unhandled/i.test(String(line.msg))) problems.push(`logged: ${String(line.msg)}`);
  }
  return problems;
}

/** Texts of JavaScript's own TypeErrors and RangeErrors, which no answer or log should show. */
const JS_INTERNALS =
  /Cannot read propert|is not a function|is not iterable|undefined \(reading|Maximum call stack|Invalid array length/;

/** How many requests of each kind were tried. */
export class Tally {
  readonly #kinds = new Map<string, number>();
  readonly #answers = new Map<string, number>();
  total = 0;

  add(kind: string): void {
    this.total++;
    this.#kinds.set(kind, (this.#kinds.get(kind) ?? 0) + 1);
  }

  /** An answer's class: "200", "4xx", "gRPC OK", "gRPC INVALID_ARGUMENT"... */
  answered(what: string): void {
    this.#answers.set(what, (this.#answers.get(what) ?? 0) + 1);
  }

  toString(): string {
    const list = (counts: Map<string, number>) =>
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([kind, n]) => `${kind} ${n}`)
        .join(", ");
    return `answers: ${list(this.#answers)}; kinds: ${list(this.#kinds)}`;
  }
}

export { SEED_REQUESTS };
