import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { after, before } from "node:test";
import { freePort, ROOT, startServer, type ServerProcess } from "./server-process";
import { servingPackage } from "./tf-serving-protos";

export { PROTOS } from "./tf-serving-protos";

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
  options: grpc.ChannelOptions = {},
): ServingClient {
  const Client = servingPackage()[service] as grpc.ServiceClientConstructor;
  return new Client(address, credentials, options) as ServingClient;
}

export interface Clients {
  readonly prediction: ServingClient;
  readonly models: ServingClient;
  close(): void;
}

/** PredictionService and ModelService clients on one address. */
export function connect(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): Clients {
  const prediction = servingClient("PredictionService", address, credentials, options);
  const models = servingClient("ModelService", address, credentials, options);
  return {
    prediction,
    models,
    close() {
      prediction.close();
      models.close();
    },
  };
}

/** One unary call, with the metadata and deadline a client sets: its response, or its error. */
export function unary<T>(
  client: ServingClient,
  method: string,
  request: unknown,
  extra: { metadata?: grpc.Metadata | Record<string, string>; deadlineMs?: number } = {},
): Promise<T> {
  let metadata = extra.metadata;
  if (!(metadata instanceof grpc.Metadata)) {
    const entries = Object.entries(metadata ?? {});
    metadata = new grpc.Metadata();
    for (const [key, value] of entries) metadata.set(key, value);
  }
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

/** A server and its gRPC clients, for the tests of one file. */
export interface GrpcServed {
  readonly server: ServerProcess;
  readonly clients: Clients;
}

/**
 * The demo half_plus_two served with its gRPC port, and clients on it: started before the
 * file's tests, stopped after them. Its fields are set once the before() hook has run.
 */
export function demoOverGrpc(): GrpcServed {
  const served: { server?: ServerProcess; clients?: Clients } = {};
  before(async () => {
    const port = await freePort();
    served.server = await startServer([
      "--model_name=half_plus_two",
      `--model_base_path=${join(ROOT, "server", "demo", "models", "half_plus_two")}`,
      `--port=${port}`,
    ]);
    served.clients = connect(`127.0.0.1:${port}`);
  });
  after(async () => {
    served.clients?.close();
    await served.server?.stop();
  });
  return served as GrpcServed;
}
