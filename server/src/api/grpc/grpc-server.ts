import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Logger } from "pino";
import type protobuf from "protobufjs";
import { modelConfigsFrom, type ModelServerConfigMessage } from "../../config/model-server-config";
import {
  deadlineExceeded,
  invalidArgument,
  ServingError,
  toServingError,
  unauthenticated,
  PROTO_DIR,
  ROUTING_KEY_METADATA,
  servingType,
  type SignatureDefMap,
} from "@servable/protocol";
import type { ModelSpec, ServerCore } from "../../core/server-core";
import type { ExampleMethod, ExampleRequest } from "../inference/example-inference";
import type {
  InferenceApi,
  InferenceLifecycle,
  InferencePlan,
  InferenceCall,
} from "../inference/inference-lifecycle";
import { runTasks, type MultiInferencePlan } from "../inference/multi-inference";
import { deadlineAfter, type RequestDeadline } from "../inference/request-deadline";
import type { VersionResolver } from "../inference/version-resolver";
import { checkBearerValue } from "../management/bearer-auth";
import type { ServingMetrics } from "../metrics";
import {
  decodeExamples,
  decodeMultiInference,
  decodePredict,
  encodeMultiInference,
  multiInferenceSpec,
  type MultiInferenceRequestMessage,
  encodeExamples,
  encodePredict,
  modelSpecOf,
  responseSpec,
  type ExampleRequestMessage,
  type ModelSpecMessage,
  type PredictRequestMessage,
} from "./grpc-codec";
import { grpcStatusOf } from "./grpc-status";

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** What a call may do: read (inference, status, metadata) or change what serves. */
type Access = "read" | "manage";

export interface GrpcOptions {
  /** The server's token: HandleReloadConfigRequest always needs it, reads with the flag. */
  readonly token?: string;
  /** --require_auth_for_reads: every call needs the token. */
  readonly requireAuthForReads: boolean;
  /** grpc-js server options (--grpc_channel_arguments, --grpc_max_threads' limits). */
  readonly serverOptions?: grpc.ServerOptions;
  /** TLS (--ssl_config_file); plaintext without. */
  readonly credentials?: grpc.ServerCredentials;
}

interface MetadataRequest {
  model_spec?: ModelSpecMessage;
  metadata_field?: string[];
}

type Call<Req> = grpc.ServerUnaryCall<Req, unknown>;

/**
 * TF Serving's gRPC API on `--port`: PredictionService (Predict, Classify, Regress and
 * MultiInference through the inference lifecycle, under the call's deadline; GetModelMetadata) and ModelService
 * (GetModelStatus, HandleReloadConfigRequest). Errors carry TF Serving's codes, which are
 * gRPC's (grpc-status.ts).
 */
export class GrpcApi {
  readonly #server: grpc.Server;
  readonly #signatureDefMap: protobuf.Type;

  constructor(
    private readonly core: ServerCore,
    private readonly lifecycle: InferenceLifecycle,
    private readonly resolver: VersionResolver,
    private readonly metrics: ServingMetrics,
    private readonly logger: Logger,
    private readonly options: GrpcOptions = { requireAuthForReads: false },
  ) {
    this.#server = new grpc.Server({
      "grpc.max_receive_message_length": 256 * 1024 * 1024,
      ...options.serverOptions,
    });
    const definition = grpc.loadPackageDefinition(
      protoLoader.loadSync("tensorflow_serving.proto", LOADER_OPTIONS),
    );
    const serving = (definition.tensorflow as grpc.GrpcObject).serving as grpc.GrpcObject;
    this.#signatureDefMap = servingType("SignatureDefMap");
    this.#server.addService((serving.PredictionService as grpc.ServiceClientConstructor).service, {
      Predict: this.#unary((call: Call<PredictRequestMessage>) =>
        this.#infer<InferencePlan>(call, "predict", modelSpecOf(call.request.model_spec), {
          decode: (servable) => servable && decodePredict(call.request, servable),
          encode: encodePredict,
        }),
      ),
      Classify: this.#unary((call: Call<ExampleRequestMessage>) =>
        this.#examples(call, "classify"),
      ),
      Regress: this.#unary((call: Call<ExampleRequestMessage>) => this.#examples(call, "regress")),
      MultiInference: this.#unary((call: Call<MultiInferenceRequestMessage>) =>
        this.#infer<MultiInferencePlan>(call, "multi_inference", multiInferenceSpec(call.request), {
          decode: (servable) => servable && decodeMultiInference(call.request, servable),
          encode: encodeMultiInference,
          run: runTasks,
        }),
      ),
      GetModelMetadata: this.#unary((call: Call<MetadataRequest>) => this.#metadata(call.request)),
    });
    this.#server.addService((serving.ModelService as grpc.ServiceClientConstructor).service, {
      GetModelStatus: this.#unary((call: Call<{ model_spec?: ModelSpecMessage }>) =>
        this.#status(call.request),
      ),
      HandleReloadConfigRequest: this.#unary(
        (call: Call<{ config?: ModelServerConfigMessage }>) => this.#reload(call),
        "manage",
      ),
    });
  }

  /** Listens on host:port; resolves with the port bound. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(
        `${host}:${port}`,
        this.options.credentials ?? grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      );
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }

  /**
   * A unary handler: the answer, or the error as its gRPC status (logged when it is ours).
   * The caller's token is checked first where the call needs it.
   */
  #unary<Req>(handler: (call: Call<Req>) => Promise<unknown>, access: Access = "read") {
    return (call: Call<Req>, callback: grpc.sendUnaryData<unknown>) => {
      let answer: Promise<unknown>;
      try {
        this.#authorize(call, access);
        answer = handler(call);
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(
        (response) => callback(null, response),
        (thrown: unknown) => {
          const error = toServingError(thrown);
          if (error.code === "UNKNOWN" || error.code === "INTERNAL") {
            this.logger.error({ err: error.message }, "gRPC request failed");
          }
          callback(grpcStatusOf(error));
        },
      );
    };
  }

  /**
   * A call that changes what serves needs the server's token (as the REST management API
   * does); with --require_auth_for_reads every call does. gRPC carries it as the metadata
   * entry `authorization: Bearer <token>`.
   * @throws ServingError UNAUTHENTICATED
   */
  #authorize(call: Call<unknown>, access: Access): void {
    if (access === "read" && !this.options.requireAuthForReads) return;
    const token = this.options.token;
    if (token === undefined) {
      throw unauthenticated(
        "This server has no token for gRPC calls that need one: start it with --auth_token_file or SERVABLE_TOKEN",
      );
    }
    const [value] = call.metadata.get("authorization");
    if (typeof value !== "string" || !value) {
      throw unauthenticated(
        "Missing authorization metadata: this call needs 'authorization: Bearer <token>'",
      );
    }
    const refused = checkBearerValue(value, token);
    if (refused) throw refused;
  }

  /** An inference call through the lifecycle, with the codec given, under the call's deadline. */
  #infer<P extends InferencePlan>(
    call: Call<unknown>,
    api: InferenceApi,
    spec: ModelSpec,
    codec: Pick<InferenceCall<P, unknown>, "decode" | "encode" | "run">,
  ): Promise<unknown> {
    const deadline = callDeadline(call);
    const [routingKey] = call.metadata.get(ROUTING_KEY_METADATA);
    return this.lifecycle
      .infer<P, unknown>({
        spec,
        api,
        entrypoint: "GRPC",
        deadline,
        routingKey: typeof routingKey === "string" ? routingKey : undefined,
        ...codec,
      })
      .finally(() => deadline?.settle());
  }

  #examples(call: Call<ExampleRequestMessage>, method: ExampleMethod): Promise<unknown> {
    return this.#infer<ExampleRequest>(call, method, modelSpecOf(call.request.model_spec), {
      decode: (servable) => servable && decodeExamples(call.request, method, servable),
      encode: (outputs, plan, handle) => encodeExamples(outputs, plan, method, handle),
    });
  }

  /** TF Serving's GetModelMetadataImpl: its checks, in its order, then the signatures. */
  async #metadata(request: MetadataRequest): Promise<unknown> {
    if (!request.model_spec) throw invalidArgument("Missing ModelSpec");
    const fields = request.metadata_field ?? [];
    if (fields.length === 0) {
      throw invalidArgument("GetModelMetadataRequest must specify at least one metadata_field");
    }
    for (const field of fields) {
      if (field !== "signature_def") {
        throw invalidArgument(`Metadata field ${field} is not supported`);
      }
    }
    const started = performance.now();
    const spec = modelSpecOf(request.model_spec);
    const record = {
      model: spec.name,
      version: "",
      api: "metadata",
      status: "OK",
      latencyUs: 0,
      entrypoint: "GRPC" as const,
    };
    try {
      const handle = this.resolver.resolve(spec);
      try {
        record.version = String(handle.id.version);
        return {
          model_spec: responseSpec(handle, ""),
          metadata: {
            signature_def: {
              type_url: "type.googleapis.com/tensorflow.serving.SignatureDefMap",
              value: Buffer.from(this.#encodeSignatures(handle.servable.signatures)),
            },
          },
        };
      } finally {
        handle.release();
      }
    } catch (error) {
      record.status = toServingError(error).code;
      if (!this.resolver.knows(spec.name)) record.model = "";
      throw error;
    } finally {
      record.latencyUs = (performance.now() - started) * 1000;
      this.metrics.record(record);
    }
  }

  async #status(request: { model_spec?: ModelSpecMessage }): Promise<unknown> {
    const spec = modelSpecOf(request.model_spec);
    const states = this.core.modelStatus(spec.name, spec.version);
    return {
      model_version_status: states.map((s) => ({
        version: String(s.id.version),
        state: s.state,
        status: { error_code: s.error?.code ?? "OK", error_message: s.error?.message ?? "" },
      })),
    };
  }

  /** TF Serving's HandleReloadConfigRequest: answers once the new models serve (or failed). */
  async #reload(call: Call<{ config?: ModelServerConfigMessage }>): Promise<unknown> {
    const config = call.request.config;
    if (!config?.model_config_list) {
      throw invalidArgument(
        "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported",
      );
    }
    const gone = new AbortController();
    const abandon = () => gone.abort();
    call.once("cancelled", abandon);
    try {
      await this.core.replaceConfig(modelConfigsFrom(config), gone.signal);
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, "ReloadConfig failed");
      throw error;
    } finally {
      call.off("cancelled", abandon);
    }
    return { status: { error_code: "OK", error_message: "" } };
  }

  #encodeSignatures(signatures: SignatureDefMap): Uint8Array {
    const message = this.#signatureDefMap.fromObject(signatures);
    return this.#signatureDefMap.encode(message).finish();
  }
}

/**
 * The call's deadline (TF Serving runs a gRPC request until the client's deadline, and has
 * no default one), ended early when the client cancels.
 */
function callDeadline(call: Call<unknown>): RequestDeadline | undefined {
  const at = call.getDeadline();
  const deadlineMs = at instanceof Date ? at.getTime() : at;
  if (!Number.isFinite(deadlineMs)) return undefined;
  const deadline = deadlineAfter(deadlineMs - Date.now());
  // gRPC reports its own deadline as a cancellation too: only an early one is the client's.
  call.once("cancelled", () =>
    deadline.expire(
      Date.now() >= deadlineMs - 10
        ? deadlineExceeded("Deadline Exceeded")
        : new ServingError("CANCELLED", "The client cancelled the call"),
    ),
  );
  return deadline;
}
