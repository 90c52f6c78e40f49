import * as grpc from "@grpc/grpc-js";
import type { ServingError } from "@servable/protocol";

/**
 * The one path from an error to a gRPC status: TF Serving's codes are gRPC's own, so the
 * code keeps its name and the message is the details.
 */
export function grpcStatusOf(error: ServingError): Partial<grpc.StatusObject> {
  return { code: grpc.status[error.code], details: error.message };
}
