/**
 * The Open Inference Protocol's (KServe V2) REST bodies as JSON, as the server writes and
 * reads them (docs: kserve's "Open Inference Protocol", REST). Types only: a browser
 * bundle takes them from `@servable/protocol/wire`.
 */

/** V2's tensor datatypes that TensorFlow's DataTypes travel as. */
export type V2Datatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

/** GET /v2 */
export interface V2ServerMetadataResponse {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** GET /v2/models/{m}[/versions/{v}]/ready */
export interface V2ModelReadyResponse {
  readonly name: string;
  readonly ready: boolean;
}

/** One input or output of a model's metadata: -1 for a free dimension. */
export interface V2TensorMetadata {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly shape: readonly number[];
}

/** GET /v2/models/{m}[/versions/{v}]: the model's serving_default signature. */
export interface V2ModelMetadataResponse {
  readonly name: string;
  /** The AVAILABLE versions. */
  readonly versions: readonly string[];
  /** What runs it ("tfjs-wasm", "onnxruntime"...). */
  readonly platform: string;
  readonly inputs: readonly V2TensorMetadata[];
  readonly outputs: readonly V2TensorMetadata[];
}

/**
 * The binary tensor data extension (Triton's and KServe's "binary_tensor_data"): a body
 * whose first N bytes are the JSON says N in this header, and the tensors marked with
 * `binary_data_size` follow the JSON in their order, little-endian and row-major (a BYTES
 * element is a 4-byte little-endian length and its bytes). An answer with binary outputs
 * carries the header too, as application/octet-stream.
 */
export const INFERENCE_HEADER_CONTENT_LENGTH = "inference-header-content-length";

/**
 * A tensor in an infer request or response: `data` row-major, flat or nested; BYTES as
 * strings. With `parameters.binary_data_size` it has no `data`: its bytes follow the JSON.
 */
export interface V2Tensor extends V2TensorMetadata {
  readonly data?: readonly unknown[];
  readonly parameters?: { readonly binary_data_size?: number };
}

/** POST /v2/models/{m}[/versions/{v}]/infer */
export interface V2InferRequest {
  readonly id?: string;
  /**
   * `signature_name` picks a signature other than serving_default; `binary_data_output`
   * asks for every output as binary data.
   */
  readonly parameters?: { readonly signature_name?: string; readonly binary_data_output?: boolean };
  readonly inputs: readonly V2Tensor[];
  /** The outputs wanted (`binary_data`: as binary data); all of the signature's when absent. */
  readonly outputs?: readonly {
    readonly name: string;
    readonly parameters?: { readonly binary_data?: boolean };
  }[];
}

export interface V2InferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: readonly V2Tensor[];
}
