import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ROOT } from "./server-process";

/** TF Serving's .proto files, as its own clients are generated from them. */
export const PROTOS = join(ROOT, "protocol", "protos");

let serving: grpc.GrpcObject | undefined;

/**
 * TF Serving's gRPC services (`tensorflow.serving`), loaded the way its Python and Node
 * examples load them: for the tests' clients and the benchmarks' load generator alike.
 */
export function servingPackage(): grpc.GrpcObject {
  serving ??= (
    grpc.loadPackageDefinition(
      protoLoader.loadSync("tensorflow_serving.proto", {
        keepCase: true,
        longs: String,
        enums: String,
        defaults: false,
        oneofs: true,
        includeDirs: [PROTOS],
      }),
    ).tensorflow as grpc.GrpcObject
  ).serving as grpc.GrpcObject;
  return serving;
}
