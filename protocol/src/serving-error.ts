/**
 * Errors as typed values. Every failure the server reports carries one of TensorFlow's
 * canonical status codes (the same ones TF Serving reports); the API layer converts a
 * code to an HTTP status in exactly one place (api/http-status.ts).
 */
export const STATUS_CODES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

export type StatusCode = (typeof STATUS_CODES)[number];

export class ServingError extends Error {
  override readonly name = "ServingError";
  /** An HTTP status other than the code's own, for the few answers TF Serving lacks (413). */
  httpStatus?: number;

  constructor(
    readonly code: Exclude<StatusCode, "OK">,
    message: string,
    /** False for failures that cannot change by trying again (a corrupt file, an unknown op). */
    readonly retryable = true,
  ) {
    super(message);
  }
}

/** Makes the errors of one code: a call site names the code it raises by the factory it calls. */
const withCode =
  (code: Exclude<StatusCode, "OK">) =>
  (message: string): ServingError =>
    new ServingError(code, message);

export const invalidArgument = withCode("INVALID_ARGUMENT");
export const notFound = withCode("NOT_FOUND");
export const failedPrecondition = withCode("FAILED_PRECONDITION");
export const unimplemented = withCode("UNIMPLEMENTED");
export const internal = withCode("INTERNAL");
export const unavailable = withCode("UNAVAILABLE");
export const resourceExhausted = withCode("RESOURCE_EXHAUSTED");
export const deadlineExceeded = withCode("DEADLINE_EXCEEDED");
export const unauthenticated = withCode("UNAUTHENTICATED");
export const permissionDenied = withCode("PERMISSION_DENIED");
export const alreadyExists = withCode("ALREADY_EXISTS");

/** A request body over the configured limit: HTTP 413. */
export function payloadTooLarge(message: string): ServingError {
  const error = new ServingError("RESOURCE_EXHAUSTED", message);
  error.httpStatus = 413;
  return error;
}

/** A load failure that retrying cannot fix: the version's files are what they are. */
export const badModel = (message: string): ServingError =>
  new ServingError("INVALID_ARGUMENT", message, false);

/** Wraps anything thrown into a ServingError, keeping its message. */
export function toServingError(error: unknown): ServingError {
  if (error instanceof ServingError) return error;
  if (error instanceof Error) return new ServingError("UNKNOWN", error.message);
  return new ServingError("UNKNOWN", String(error));
}
