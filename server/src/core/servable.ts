import type { SignatureDefMap, TensorMap } from "@servable/protocol";

/**
 * A loaded model version: what a request computes with while it holds a handle.
 * Formats (TF.js, SavedModel, ONNX) implement it; the APIs only ever see this.
 */
export interface Servable {
  /** The version's SignatureDefs, as the metadata endpoint prints them. */
  readonly signatures: SignatureDefMap;
  /** Class labels of classify signatures that name them (signature name -> labels). */
  readonly classLabels?: Readonly<Record<string, readonly string[]>>;
  /**
   * True when the model parses tf.Examples itself (a SavedModel): classify and regress
   * then feed every signature the serialized examples through its one "inputs" tensor,
   * whatever dtype that TensorInfo records, as TF Serving does.
   */
  readonly parsesExamples?: boolean;
  /** What executes it, for logs and metrics ("tfjs-wasm", "onnxruntime"...). */
  readonly runtime: string;
  /**
   * Why it runs on this runtime and not a faster one that was tried (a TF.js model whose
   * layers do not all compile to ONNX...), for the status and the load log.
   */
  readonly engineReason?: string;
  /**
   * Runs one signature. `inputs` are keyed by the signature's input keys and already
   * checked against its dtypes; the result is keyed by its output keys (all of them,
   * or those in `outputKeys`).
   */
  run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap>;
}

export interface RunOptions {
  outputKeys?: readonly string[];
  /** When the caller stops waiting (a `performance.now()` time): work not started by then may be dropped. */
  deadline?: number;
}
