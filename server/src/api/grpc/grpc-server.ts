import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Logger } from "pino";
import type protobuf from "protobufjs";
import { modelConfigsFrom, type ModelServerConfigMessage } from "../../config/model-server-config";
import {
  invalidArgument,
  toServingError,
  type ServingError,
  DEFAULT_SIGNATURE,
  type SignatureDefMap,
  type TensorMap,
  type Example,
  type ExampleList,
  type Feature,
  servingType,
  PROTO_DIR,
  type TensorProto,
  tensorFromProto,
  tensorToTypedProto,
  TensorValueError,
  signatureNotFound,
} from "@servable/protocol";
import type { ServableHandle } from "../../core/servable-handle";
import type { Servable } from "../../core/servable";
import type { ModelSpec, ServerCore } from "../../core/server-core";
import {
  classificationResults,
  exampleRequest,
  regressionResults,
  type ExampleMethod,
} from "../example-inference";
import type { RequestRecord, ServingMetrics } from "../metrics";

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

interface ModelSpecObject {
  name?: string;
  version?: { value?: string | number };
  version_label?: string;
  signature_name?: string;
}

/**
 * TF Serving's gRPC API on `--port`: PredictionService (Predict, Classify, Regress,
 * GetModelMetadata) and ModelService (GetModelStatus, HandleReloadConfigRequest). The
 * handlers resolve models through ServerCore and run them through the same servables,
 * batching and replicas as REST; errors carry TF Serving's codes (gRPC uses the same).
 */
export class GrpcApi {
  readonly #server = new grpc.Server({ "grpc.max_receive_message_length": 256 * 1024 * 1024 });
  readonly #signatureDefMap: protobuf.Type;

  constructor(
    private readonly core: ServerCore,
    private readonly metrics: ServingMetrics,
    private readonly logger: Logger,
  ) {
    const definition = grpc.loadPackageDefinition(
      protoLoader.loadSync("tensorflow_serving.proto", LOADER_OPTIONS),
    );
    const serving = (definition.tensorflow as grpc.GrpcObject).serving as grpc.GrpcObject;
    this.#signatureDefMap = servingType("SignatureDefMap");
    this.#server.addService((serving.PredictionService as grpc.ServiceClientConstructor).service, {
      Predict: this.#unary("predict", (req: PredictRequest, record) => this.#predict(req, record)),
      Classify: this.#unary("classify", (req: ExampleRequestObject, record) =>
        this.#examples(req, "classify", record),
      ),
      Regress: this.#unary("regress", (req: ExampleRequestObject, record) =>
        this.#examples(req, "regress", record),
      ),
      GetModelMetadata: this.#unary("metadata", (req: MetadataRequest) => this.#metadata(req)),
    });
    this.#server.addService((serving.ModelService as grpc.ServiceClientConstructor).service, {
      GetModelStatus: this.#unary("status", (req: { model_spec?: ModelSpecObject }) =>
        this.#status(req),
      ),
      HandleReloadConfigRequest: this.#unary(
        "reload",
        (req: { config?: ModelServerConfigMessage }) => this.#reload(req),
      ),
    });
  }

  /** Listens on host:port; resolves with the port bound. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(
        `${host}:${port}`,
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      );
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }

  #unary<Req, Res>(api: string, handler: (request: Req, record: RequestRecord) => Promise<Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      const started = performance.now();
      const spec = (call.request as { model_spec?: ModelSpecObject }).model_spec;
      const record: RequestRecord = {
        model: spec?.name ?? "",
        version: "",
        api,
        status: "OK",
        latencyUs: 0,
        entrypoint: "GRPC",
      };
      handler(call.request, record)
        .then(
          (response) => callback(null, response),
          (thrown: unknown) => {
            const error: ServingError = toServingError(thrown);
            record.status = error.code;
            if (error.code === "UNKNOWN" || error.code === "INTERNAL") {
              this.logger.error({ model: record.model, err: error.message }, "gRPC request failed");
            }
            callback({ code: grpc.status[error.code], details: error.message });
          },
        )
        .finally(() => {
          record.latencyUs = (performance.now() - started) * 1000;
          if (api !== "status" && api !== "reload") this.metrics.record(record);
        });
    };
  }

  async #predict(request: PredictRequest, record: RequestRecord): Promise<unknown> {
    return this.#withHandle(request.model_spec, record, async (handle) => {
      const signatureName = request.model_spec?.signature_name || DEFAULT_SIGNATURE;
      const signature = handle.servable.signatures.signature_def[signatureName];
      if (!signature) throw invalidArgument(signatureNotFound(signatureName));
      const inputs: TensorMap = {};
      for (const [key, proto] of Object.entries(request.inputs ?? {})) {
        const info = signature.inputs[key];
        if (!info) {
          throw invalidArgument(
            `input tensor alias not found in signature: ${key}. Inputs expected to be in the set {${Object.keys(signature.inputs).join(",")}}.`,
          );
        }
        inputs[key] = requestTensor(proto, key);
        if (inputs[key]!.dtype !== info.dtype) {
          throw invalidArgument(
            `Expects arg[${key}] to be ${info.dtype.slice(3).toLowerCase()} but ${inputs[key]!.dtype.slice(3).toLowerCase()} is provided`,
          );
        }
      }
      const missing = Object.keys(signature.inputs).filter((k) => !inputs[k]);
      if (missing.length > 0) {
        throw invalidArgument(`Missing input tensors: ${missing.join(",")}`);
      }
      const filter = request.output_filter?.length ? request.output_filter : undefined;
      for (const key of filter ?? []) {
        if (!signature.outputs[key])
          throw invalidArgument(`output tensor alias not found in signature: ${key}`);
      }
      const outputs = await run(handle.servable, signatureName, inputs, filter, record);
      return {
        model_spec: responseSpec(handle, signatureName),
        outputs: Object.fromEntries(
          Object.entries(outputs).map(([k, t]) => [k, tensorToTypedProto(t)]),
        ),
      };
    });
  }

  async #examples(
    request: ExampleRequestObject,
    method: ExampleMethod,
    record: RequestRecord,
  ): Promise<unknown> {
    return this.#withHandle(request.model_spec, record, async (handle) => {
      const signatureName = request.model_spec?.signature_name || DEFAULT_SIGNATURE;
      const planned = exampleRequest(
        exampleList(request.input),
        signatureName,
        handle.servable,
        method,
      );
      record.examples = planned.numExamples;
      const outputs = await run(handle.servable, signatureName, planned.inputs, undefined, record);
      const model_spec = responseSpec(handle, signatureName);
      if (method === "regress") {
        return {
          model_spec,
          result: {
            regressions: Array.from(regressionResults(outputs, planned), (value) => ({ value })),
          },
        };
      }
      const classifications = classificationResults(
        outputs,
        planned,
        handle.servable.classLabels?.[signatureName],
      );
      return {
        model_spec,
        result: { classifications: classifications.map((classes) => ({ classes })) },
      };
    });
  }

  async #metadata(request: MetadataRequest): Promise<unknown> {
    const fields = request.metadata_field ?? [];
    if (fields.length !== 1 || fields[0] !== "signature_def") {
      throw invalidArgument(
        "Metadata field signature_def is the one supported; request exactly it",
      );
    }
    return this.#withHandle(request.model_spec, undefined, async (handle) => ({
      model_spec: responseSpec(handle, ""),
      metadata: {
        signature_def: {
          type_url: "type.googleapis.com/tensorflow.serving.SignatureDefMap",
          value: Buffer.from(this.#encodeSignatures(handle.servable.signatures)),
        },
      },
    }));
  }

  async #status(request: { model_spec?: ModelSpecObject }): Promise<unknown> {
    const spec = modelSpec(request.model_spec);
    const states = this.core.modelStatus(spec.name, spec.version);
    return {
      model_version_status: states.map((s) => ({
        version: String(s.id.version),
        state: s.state,
        status: { error_code: s.error?.code ?? "OK", error_message: s.error?.message ?? "" },
      })),
    };
  }

  async #reload(request: { config?: ModelServerConfigMessage }): Promise<unknown> {
    if (!request.config) throw invalidArgument("ReloadConfigRequest needs a config");
    await this.core.replaceConfig(modelConfigsFrom(request.config));
    return { status: { error_code: "OK", error_message: "" } };
  }

  async #withHandle<T>(
    spec: ModelSpecObject | undefined,
    record: RequestRecord | undefined,
    body: (handle: ServableHandle) => Promise<T>,
  ): Promise<T> {
    const handle = this.core.getServableHandle(modelSpec(spec));
    if (record) record.version = String(handle.id.version);
    try {
      return await body(handle);
    } finally {
      handle.release();
    }
  }

  #encodeSignatures(signatures: SignatureDefMap): Uint8Array {
    const message = this.#signatureDefMap.fromObject(signatures);
    return this.#signatureDefMap.encode(message).finish();
  }
}

async function run(
  servable: Servable,
  signatureName: string,
  inputs: TensorMap,
  outputKeys: readonly string[] | undefined,
  record: RequestRecord | undefined,
): Promise<TensorMap> {
  const t0 = performance.now();
  const outputs = await servable.run(signatureName, inputs, { outputKeys });
  if (record) {
    record.runtimeUs = (performance.now() - t0) * 1000;
    record.runtime = servable.runtime;
  }
  return outputs;
}

/** A request's TensorProto as a host tensor; a malformed one is the client's error. */
function requestTensor(proto: TensorProto, key: string): TensorMap[string] {
  try {
    return tensorFromProto(proto, `Input ${key}`);
  } catch (error) {
    if (error instanceof TensorValueError) throw invalidArgument(error.message);
    throw error;
  }
}

function modelSpec(spec: ModelSpecObject | undefined): ModelSpec {
  if (!spec?.name) throw invalidArgument("Missing ModelSpec");
  if (spec.version?.value !== undefined)
    return { name: spec.name, version: Number(spec.version.value) };
  if (spec.version_label) return { name: spec.name, label: spec.version_label };
  return { name: spec.name };
}

function responseSpec(handle: ServableHandle, signatureName: string): ModelSpecObject {
  return {
    name: handle.id.name,
    version: { value: String(handle.id.version) },
    signature_name: signatureName,
  };
}

interface FeatureObject {
  bytes_list?: { value?: Uint8Array[] };
  float_list?: { value?: number[] };
  int64_list?: { value?: (string | number)[] };
}
interface ExampleObject {
  features?: { feature?: Record<string, FeatureObject> };
}

function exampleList(input: ExampleRequestObject["input"]): ExampleList {
  const withContext = input?.example_list_with_context;
  const examples = withContext?.examples ?? input?.example_list?.examples;
  if (!examples || examples.length === 0) throw invalidArgument("Input is empty.");
  return {
    examples: examples.map(toExample),
    context: withContext?.context ? toExample(withContext.context) : undefined,
  };
}

function toExample(example: ExampleObject): Example {
  const features: Example = new Map();
  for (const [name, f] of Object.entries(example.features?.feature ?? {})) {
    let feature: Feature;
    if (f.bytes_list)
      feature = { kind: "bytes", values: (f.bytes_list.value ?? []).map((b) => new Uint8Array(b)) };
    else if (f.int64_list)
      feature = { kind: "int64", values: (f.int64_list.value ?? []).map((v) => BigInt(v)) };
    else feature = { kind: "float", values: f.float_list?.value ?? [] };
    features.set(name, feature);
  }
  return features;
}

interface PredictRequest {
  model_spec?: ModelSpecObject;
  inputs?: Record<string, TensorProto>;
  output_filter?: string[];
}
interface ExampleRequestObject {
  model_spec?: ModelSpecObject;
  input?: {
    example_list?: { examples?: ExampleObject[] };
    example_list_with_context?: { examples?: ExampleObject[]; context?: ExampleObject };
  };
}
interface MetadataRequest {
  model_spec?: ModelSpecObject;
  metadata_field?: string[];
}
