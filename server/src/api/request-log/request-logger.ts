import type { Logger } from "pino";
import { encodePredictionLog, toServingError } from "@servable/protocol";
import type { RequestLoggingConfig } from "../../config/model-server-config";
import type { ServingMetrics } from "../metrics";
import { predictionLogRecord } from "./prediction-log-record";
import type { AnsweredRequest, RequestLog } from "./request-log";
import { RotatingRecordFile, type RotationLimits } from "./rotating-record-file";

/**
 * Request logging (TF Serving's ServerRequestLogger and RequestLogger): a model's
 * `logging_config` in the model config file names a `filename_prefix` and a
 * `sampling_rate`; that share of its predict, classify and regress requests (REST and
 * gRPC) is written, with the answers, as PredictionLog records to rotating TFRecord files
 * (rotating-record-file.ts). Models with the same prefix share its files.
 *
 * Off the request's path: the lifecycle asks `sample()` before running (one random draw),
 * and hands the answered request to `write()`, which builds and writes the record on a
 * later turn of the event loop. A record that cannot be written is dropped: counted in
 * `:tensorflow:serving:request_log_count` under its error code, and logged, never thrown.
 */
export class RequestLogger implements RequestLog {
  readonly #files = new Map<string, RotatingRecordFile>();
  /** When each prefix last warned of a failed write: one warning a minute is enough. */
  readonly #warned = new Map<string, number>();
  #closed = false;

  constructor(
    private readonly configOf: (model: string) => RequestLoggingConfig | undefined,
    private readonly limits: RotationLimits,
    private readonly metrics: ServingMetrics,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /** The model's logging config when this request is to be logged, else undefined. */
  sample(model: string): RequestLoggingConfig | undefined {
    const config = this.configOf(model);
    if (!config || config.samplingRate <= 0) return undefined;
    return this.random() < config.samplingRate ? config : undefined;
  }

  /** Writes the record of an answered request, later; never throws. */
  write(config: RequestLoggingConfig, request: AnsweredRequest): void {
    setImmediate(() => {
      if (!this.#closed) void this.#write(config, request);
    });
  }

  /** Writes what is queued and closes every file. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#files.values()].map((f) => f.close()));
    this.#files.clear();
  }

  async #write(config: RequestLoggingConfig, request: AnsweredRequest): Promise<void> {
    let status = "OK";
    try {
      const record = encodePredictionLog(predictionLogRecord(request));
      await this.#file(config.filenamePrefix).append(record);
    } catch (error) {
      const failure = toServingError(error);
      status = failure.code === "UNKNOWN" ? "INTERNAL" : failure.code;
      this.#warn(config.filenamePrefix, request.model, failure.message);
    }
    this.metrics.recordRequestLog(request.model, status);
  }

  #file(prefix: string): RotatingRecordFile {
    let file = this.#files.get(prefix);
    if (!file) {
      file = new RotatingRecordFile(prefix, this.limits);
      this.#files.set(prefix, file);
    }
    return file;
  }

  #warn(prefix: string, model: string, message: string): void {
    const now = Date.now();
    if (now - (this.#warned.get(prefix) ?? -Infinity) < 60_000) return;
    this.#warned.set(prefix, now);
    this.logger.warn(
      { model, prefix, err: message },
      `Request log ${prefix}: a record was dropped: ${message}`,
    );
  }
}
