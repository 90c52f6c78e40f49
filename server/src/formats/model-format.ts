import type { Logger } from "pino";
import type { LoadedVersion } from "./loaded-version";

/**
 * A model format: how one kind of version directory (TF.js model.json, SavedModel,
 * ONNX...) is recognised and loaded into memory. Which engine runs it, in which thread,
 * is not the format's business (see execution/). Adding a format is adding one module
 * that implements this and listing it in formats/index.ts.
 */
export interface ModelFormat {
  /** Short name for logs, listings and worker threads: "tfjs", "savedmodel", "onnx". */
  readonly name: string;
  /** The file that marks a directory as this format, for messages ("model.json (TF.js)"). */
  readonly marker: string;
  /** True when a version directory holding these file names is in this format. */
  detect(fileNames: readonly string[]): boolean;
  /**
   * Loads the version in `dir`. Rejects with a ServingError: UNAVAILABLE when a read
   * failed in a way that may pass, a permanent error naming the file and field when the
   * files are wrong.
   */
  load(dir: string, context: LoadContext): Promise<LoadedVersion>;
}

export interface LoadContext {
  readonly logger: Logger;
  /** Format options from the command line. */
  readonly options: Readonly<FormatOptions>;
}

export interface FormatOptions {
  /** MetaGraph tags a SavedModel is loaded with (--saved_model_tags). */
  readonly savedModelTags: readonly string[];
}
