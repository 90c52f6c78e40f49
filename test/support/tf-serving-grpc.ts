import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ROOT } from "./server-process";

/** TF Serving's gRPC services, as a client built from TF Serving's .proto files has them. */
export const PROTOS = join(ROOT, "protocol", "protos");
const definition = grpc.loadPackageDefinition(
  protoLoader.loadSync("tensorflow_serving.proto", {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [PROTOS],
  }),
);
const serving = (definition.tensorflow as grpc.GrpcObject).serving as grpc.GrpcObject;

export type Client = grpc.Client &
  Record<
    string,
    (
      req: unknown,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r: unknown) => void,
    ) => void
  >;

export interface Clients {
  readonly prediction: Client;
  readonly models: Client;
  close(): void;
}

/** PredictionService and ModelService clients on one address. */
export function connect(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): Clients {
  const make = (service: string) =>
    new (serving[service] as grpc.ServiceClientConstructor)(
      address,
      credentials,
      options,
    ) as Client;
  const prediction = make("PredictionService");
  const models = make("ModelService");
  return {
    prediction,
    models,
    close() {
      prediction.close();
      models.close();
    },
  };
}

/** One unary call; `metadata` and `deadlineMs` as a client sets them. */
export function unary<T>(
  client: Client,
  method: string,
  request: unknown,
  extra: { metadata?: Record<string, string>; deadlineMs?: number } = {},
): Promise<T> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(extra.metadata ?? {})) metadata.set(key, value);
  const options: grpc.CallOptions =
    extra.deadlineMs === undefined ? {} : { deadline: Date.now() + extra.deadlineMs };
  return new Promise((resolve, reject) =>
    client[method]!(request, metadata, options, (e, r) => (e ? reject(e) : resolve(r as T))),
  );
}

/** A float tensor as a TensorProto with typed values. */
export const floats = (values: number[], shape: number[]) => ({
  dtype: "DT_FLOAT",
  tensor_shape: { dim: shape.map((size) => ({ size })) },
  float_val: values,
});

/** A tf.Example with float features. */
export const example = (features: Record<string, number>) => ({
  features: {
    feature: Object.fromEntries(
      Object.entries(features).map(([k, v]) => [k, { float_list: { value: [v] } }]),
    ),
  },
});

/**
 * Asserts that `promise` fails with exactly this gRPC code and text; returns the error.
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: grpc.status,
  details: string,
): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    const e = error as grpc.ServiceError;
    if (e.code !== code || e.details !== details) {
      throw new Error(
        `Expected ${grpc.status[code]} ${JSON.stringify(details)}, got ${grpc.status[e.code]} ${JSON.stringify(e.details)}`,
      );
    }
    return e;
  }
  throw new Error(`Expected ${grpc.status[code]} ${JSON.stringify(details)}, the call succeeded`);
}
