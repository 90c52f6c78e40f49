import type { Servable } from "../core/servable";
import type { OnnxSettings } from "./onnxruntime/session-options";

/** A loaded version running on an engine: a Servable that can be stopped. */
export interface VersionRunner extends Servable {
  /** Frees the engine's copy of the model (tensors, session). */
  close(): Promise<void>;
  /**
   * One `run` per copy of the model the runner holds (a replica pool's workers), for the
   * work each copy must do itself (warmup); absent when the runner is its only copy.
   */
  eachCopy?(): readonly Servable["run"][];
}

/** How a TF.js layers model may run (--tfjs_engine; tfjs-engine/tfjs-engine.ts says how). */
export const TFJS_ENGINES = ["auto", "tfjs", "onnxruntime"] as const;
export type TfjsEngine = (typeof TFJS_ENGINES)[number];

/** Engine settings a version runs with, the same in every thread. */
export interface EngineSettings {
  readonly onnx?: OnnxSettings;
  /** The engine of TF.js layers models (--tfjs_engine); "tfjs" when unset. */
  readonly tfjsEngine?: TfjsEngine;
}
