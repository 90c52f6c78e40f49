import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  decodePredictionLog,
  decodeTfRecords,
  invalidArgument,
  LOG_TYPE_CASE,
  predictionLogType,
  ServingError,
  toServingError,
  type PredictionLog,
} from "@servable/protocol";
import type { Servable } from "../../core/servable";
import { readFailure } from "../../formats/version-files";

/**
 * Model warmup (TF Serving's saved_model_warmup_util.cc): a version folder may carry
 * `assets.extra/tf_serving_warmup_requests`, a TFRecord file of PredictionLog records.
 * The loader replays them through the loaded version before it becomes AVAILABLE, so
 * that the lazy work of a first request (TF.js compiling its kernels, ONNX Runtime
 * planning its memory) is done before any client waits for it.
 *
 * TF Serving's rules: at most 1000 records; each is run `iterations` times; predict,
 * classify, regress and multi-inference logs replay, the streamed-predict and
 * session-run logs do not; a record that fails fails the load with the request's own
 * error. Here the whole file is read and checked first, so a file that is not TFRecord,
 * or holds a record that is not a PredictionLog, fails the load before anything runs.
 * Every such failure is permanent: the file is what it is, and the load is not retried.
 */

export const WARMUP_REQUESTS_FILE = join("assets.extra", "tf_serving_warmup_requests");
/** TF Serving's WarmupConsts::kMaxNumRecords. */
export const MAX_WARMUP_RECORDS = 1000;

/**
 * Runs one record's request against a version: `model` to decode it with (signatures,
 * class labels), `run` to compute it with (one replica's). Rejects with the request's error.
 */
export type WarmupReplay = (
  log: PredictionLog,
  model: Servable,
  run: Servable["run"],
) => Promise<void>;

export interface WarmupSettings {
  /** Times each record runs (TF Serving's num_request_iterations; at least once). */
  readonly iterations: number;
  readonly replay: WarmupReplay;
}

/** What a warmup did, for the load's log line and the metrics. */
export interface WarmupOutcome {
  /** The warmup file. */
  readonly path: string;
  /** The version folder (TF Serving's `model_path` metric label). */
  readonly modelPath: string;
  /** Records replayed (each `iterations` times on every replica). */
  readonly records: number;
  readonly latencyUs: number;
  /** "OK", or the status code that failed the load. */
  readonly status: string;
}

/**
 * Replays the version's warmup file on each of `runners` (all of a version's replicas,
 * side by side; one after another within each). Resolves undefined when the folder has
 * no warmup file; rejects between two records once `signal` aborts. `onOutcome` hears every warmup that started, failed ones included.
 * @throws ServingError (not retryable) with TF Serving's warmup texts, or the failing
 * request's own error.
 */
export async function runModelWarmup(
  dir: string,
  model: Servable,
  runners: readonly Servable["run"][],
  settings: WarmupSettings,
  onOutcome?: (outcome: WarmupOutcome) => void,
  signal?: AbortSignal,
): Promise<WarmupOutcome | undefined> {
  const path = join(dir, WARMUP_REQUESTS_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw readFailure(error, dir, WARMUP_REQUESTS_FILE);
  }
  const started = performance.now();
  let records = 0;
  const report = (status: string): WarmupOutcome => {
    const outcome = {
      path,
      modelPath: dir,
      records,
      latencyUs: Math.round((performance.now() - started) * 1000),
      status,
    };
    onOutcome?.(outcome);
    return outcome;
  };
  try {
    const logs = readWarmupRecords(bytes, path);
    const iterations = Math.max(1, settings.iterations);
    await Promise.all(
      runners.map(async (run) => {
        for (const log of logs) {
          // A version no longer wanted stops warming up between records.
          signal?.throwIfAborted();
          for (let i = 0; i < iterations; i++) await settings.replay(log, model, run);
        }
      }),
    );
    records = logs.length;
  } catch (thrown) {
    if (signal?.aborted) throw thrown;
    const error = toServingError(thrown);
    report(error.code);
    throw new ServingError(error.code, error.message, false);
  }
  return report("OK");
}

/** The file's PredictionLogs, checked before any runs. */
function readWarmupRecords(bytes: Uint8Array, path: string): PredictionLog[] {
  const logs: PredictionLog[] = [];
  let index = 0;
  try {
    for (const record of decodeTfRecords(bytes, path)) {
      if (logs.length === MAX_WARMUP_RECORDS) {
        throw invalidArgument(
          `Number of warmup records exceeds the maximum (${MAX_WARMUP_RECORDS}) at ${path}`,
        );
      }
      logs.push(parseRecord(record, index++, path));
    }
  } catch (error) {
    if (error instanceof ServingError && error.code === "DATA_LOSS") {
      throw new ServingError(
        "DATA_LOSS",
        `${error.message}. Please verify your warmup data is in TFRecord format.`,
        false,
      );
    }
    throw error;
  }
  return logs;
}

function parseRecord(record: Uint8Array, index: number, path: string): PredictionLog {
  let log: PredictionLog;
  try {
    log = decodePredictionLog(record);
  } catch {
    throw invalidArgument(`Failed to parse warmup record: record ${index} from ${path}`);
  }
  const type = predictionLogType(log);
  if (type === "predict_streamed_log" || type === "session_run_log") {
    throw new ServingError(
      "UNIMPLEMENTED",
      `Unsupported log_type for warmup: ${LOG_TYPE_CASE[type]}`,
      false,
    );
  }
  return log;
}
