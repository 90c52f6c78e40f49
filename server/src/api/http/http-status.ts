import type { ServingError, StatusCode } from "@servable/protocol";

/** TF Serving's mapping of status codes to HTTP statuses (http_rest_api_util.cc). */
const HTTP_STATUS: Record<StatusCode, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

export const httpStatusOf = (error: ServingError): number =>
  error.httpStatus ?? HTTP_STATUS[error.code] ?? 500;
