import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ROOT } from "./server-process";

/**
 * TF Serving's gRPC services as any TF Serving client has them: stubs from TF Serving's
 * own .proto files (protocol/protos), loaded the way its Python and Node examples load them.
 */
let serving: grpc.GrpcObject | undefined;

function servingPackage(): grpc.GrpcObject {
  serving ??= (
    grpc.loadPackageDefinition(
      protoLoader.loadSync("tensorflow_serving.proto", {
        keepCase: true,
        longs: String,
        enums: String,
        defaults: false,
        oneofs: true,
        includeDirs: [join(ROOT, "protocol", "protos")],
      }),
    ).tensorflow as grpc.GrpcObject
  ).serving as grpc.GrpcObject;
  return serving;
}

type Callback = (error: grpc.ServiceError | null, response: unknown) => void;

/** A service stub; its methods take TF Serving's request messages as plain objects. */
export type ServingClient = grpc.Client &
  Record<
    string,
    (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: Callback) => void
  >;

export type ServiceName = "PredictionService" | "ModelService";

export function servingClient(
  service: ServiceName,
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): ServingClient {
  const Client = servingPackage()[service] as grpc.ServiceClientConstructor;
  return new Client(address, credentials) as ServingClient;
}

/** One unary call: its response, or the call's error (a grpc.ServiceError). */
export function unaryCall<T>(
  client: ServingClient,
  method: string,
  request: unknown,
  options: { metadata?: grpc.Metadata; deadlineMs?: number } = {},
): Promise<T> {
  const callOptions: grpc.CallOptions =
    options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
  return new Promise((resolve, reject) =>
    client[method]!(request, options.metadata ?? new grpc.Metadata(), callOptions, (e, r) =>
      e ? reject(e) : resolve(r as T),
    ),
  );
}
