import * as grpc from "@grpc/grpc-js";
import { servingPackage } from "../test/support/tf-serving-protos";

/**
 * A gRPC load generator for TF Serving's PredictionService/Predict (autocannon speaks
 * HTTP/1 only): `concurrency` calls in flight at all times on one channel, as a TF Serving
 * client keeps them, for `seconds`; latencies of every call, for p50 and p99.
 */
export interface GrpcLoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly errors: number;
}

/** PredictionService/Predict's path and its message codecs, from TF Serving's protos. */
function predictMethod(): grpc.MethodDefinition<unknown, unknown> {
  const service = (servingPackage().PredictionService as grpc.ServiceClientConstructor).service;
  return service.Predict as grpc.MethodDefinition<unknown, unknown>;
}

/** A PredictRequest for one FP32 input, its values in tensor_content. */
export function tensorContentRequest(
  model: string,
  input: string,
  shape: readonly number[],
  values: Float32Array,
): unknown {
  return {
    model_spec: { name: model },
    inputs: {
      [input]: {
        dtype: "DT_FLOAT",
        tensor_shape: { dim: shape.map((size) => ({ size: String(size) })) },
        tensor_content: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
      },
    },
  };
}

export async function grpcLoad(
  address: string,
  request: unknown,
  concurrency: number,
  seconds: number,
): Promise<GrpcLoadResult> {
  const method = predictMethod();
  // The request is encoded once and answers are not decoded (but the first): the load
  // generator shares the machine with the server, and protobuf.js would cost it more CPU
  // per call than the server spends.
  const bytes = method.requestSerialize(request);
  const same = (b: Buffer) => b;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const call = () =>
    new Promise<{ error: grpc.ServiceError | null; answer?: Buffer }>((resolve) =>
      client.makeUnaryRequest(method.path, same, same, bytes, (error, answer) =>
        resolve({ error, answer }),
      ),
    );
  const first = await call();
  if (first.error) throw new Error(`gRPC Predict failed: ${first.error.message}`);
  method.responseDeserialize(first.answer!);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const end = performance.now() + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const { error } = await call();
      if (error) {
        errors++;
        firstError ??= error.message;
      } else latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  if (errors > 0 && latencies.length === 0)
    throw new Error(`every gRPC call failed: ${firstError}`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    ok: latencies.length,
    errors,
  };
}
