import type { Logger } from "pino";
import type { Servable } from "../core/servable";

/**
 * A model format: how one kind of version directory (TF.js model.json, SavedModel,
 * ONNX...) becomes a Servable. Adding a format is adding one module that implements
 * this and listing it in formats/index.ts.
 */
export interface ModelFormat {
  /** Short name for logs and listings: "tfjs", "savedmodel", "onnx". */
  readonly name: string;
  /** True when a version directory holding these file names is in this format. */
  detect(fileNames: readonly string[]): boolean;
  /** Loads the version in `dir`; rejects with a ServingError when it cannot. */
  load(dir: string, context: LoadContext): Promise<LoadedModel>;
}

/** A loaded version: its servable and the way to free it. */
export interface LoadedModel {
  readonly servable: Servable;
  unload(): Promise<void>;
}

export interface LoadContext {
  readonly logger: Logger;
  /** Format options from the command line, each format reading its own keys. */
  readonly options: Readonly<FormatOptions>;
}

export interface FormatOptions {
  /** MetaGraph tags a SavedModel is loaded with (--saved_model_tags). */
  savedModelTags: readonly string[];
  /** Extra, format-specific settings (ONNX session options...). */
  [key: string]: unknown;
}
