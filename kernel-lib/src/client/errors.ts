/**
 * The two ways a call to the server fails. Every function of the library that talks to
 * the server throws one of these (or DeployError, which is a ServerError).
 */

/** The server answered with an error status; `message` is the server's own text. */
export class ServerError extends Error {
  override readonly name: string = "ServerError";

  constructor(
    /** HTTP status of the answer (400, 401, 404, 409, 413, 500...). */
    readonly status: number,
    /** The server's message: its `{"error": "..."}` body, or the body's text. */
    readonly serverMessage: string,
    /** What the call was, e.g. "POST /v1/models/iris/versions". */
    readonly call: string,
    hint = "",
  ) {
    super(`${call}: ${status} ${serverMessage}${hint ? ` (${hint})` : ""}`);
  }
}

/** The server could not be reached, or the connection broke before an answer came. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";

  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Cannot reach the Servable server at ${url}: ${reason}`);
  }
}

/** A deployed version that did not become AVAILABLE: its load failed, or it took too long. */
export class DeployError extends ServerError {
  override readonly name = "DeployError";

  constructor(
    readonly model: string,
    readonly version: number,
    /** The version's last state (END after a failed load). */
    readonly state: string,
    serverMessage: string,
  ) {
    super(200, serverMessage, `Version ${version} of model ${model}`);
    this.message = `Version ${version} of model ${model} is ${state}: ${serverMessage}`;
  }
}
