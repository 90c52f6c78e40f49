import { Registry, collectDefaultMetrics, exponentialBuckets } from "prom-client";
import type { BatchRecord } from "../execution/batching/batching-servable";
import type { ServableId } from "../core/servable-id";
import type { WarmupOutcome } from "../execution/warmup/model-warmup";
import { BoundCounter, BoundHistogram } from "./bound-metrics";

/**
 * Prometheus metrics under TF Serving's names (servables/tensorflow/util.cc), exported in
 * its `:`-separated form, with Servable's extra `version` label so that the versions of
 * one model (a canary and a stable one) can be told apart.
 */
export const METRIC_NAMES = {
  requestCount: ":tensorflow:serving:request_count",
  requestLatency: ":tensorflow:serving:request_latency",
  runtimeLatency: ":tensorflow:serving:runtime_latency",
  exampleCounts: ":tensorflow:serving:request_example_counts",
  queuingLatency: ":tensorflow:serving:batching_session:queuing_latency",
  inputBatchSize: ":tensorflow:serving:batching_session:input_batch_size",
  processedBatchSize: ":tensorflow:serving:batching_session:processed_batch_size",
  paddingSize: ":tensorflow:serving:batching_session:padding_size",
  warmupLatency: ":tensorflow:serving:model_warmup_latency",
  warmupRecordsRead: ":tensorflow:serving:model_warmup_records_read",
  requestLogCount: ":tensorflow:serving:request_log_count",
} as const;

/** TF Serving's latency buckets in microseconds: 10 x 1.8^i, 33 of them. */
const LATENCY_BUCKETS_US = exponentialBuckets(10, 1.8, 33);
const BATCH_SIZE_BUCKETS = exponentialBuckets(1, 2, 12);

export interface RequestRecord {
  model: string;
  version: string;
  api: string;
  status: string;
  /** Whole request, microseconds. */
  latencyUs: number;
  /** Model execution only, microseconds (when it ran). */
  runtimeUs?: number;
  runtime?: string;
  examples?: number;
  /** REST (the default) or GRPC. */
  entrypoint?: "REST" | "GRPC";
}

export class ServingMetrics {
  readonly registry = new Registry();

  readonly #requests = new BoundCounter(
    METRIC_NAMES.requestCount,
    "The total number of requests.",
    ["model_name", "version", "status"],
    this.registry,
  );
  readonly #latency = new BoundHistogram(
    METRIC_NAMES.requestLatency,
    "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
    ["model_name", "version", "API", "entrypoint"],
    LATENCY_BUCKETS_US,
    this.registry,
  );
  readonly #runtimeLatency = new BoundHistogram(
    METRIC_NAMES.runtimeLatency,
    "Distribution of wall time (in microseconds) for Tensorflow runtime.",
    ["model_name", "version", "API", "runtime"],
    LATENCY_BUCKETS_US,
    this.registry,
  );
  readonly #examples = new BoundHistogram(
    METRIC_NAMES.exampleCounts,
    "The number of tensorflow.Examples per request.",
    ["model"],
    exponentialBuckets(1, 2, 15),
    this.registry,
  );
  readonly #queuingLatency = new BoundHistogram(
    METRIC_NAMES.queuingLatency,
    "Distribution of wall time (in microseconds) a request waits in the batching queue.",
    ["model_name", "version"],
    LATENCY_BUCKETS_US,
    this.registry,
  );
  readonly #inputBatchSize = new BoundHistogram(
    METRIC_NAMES.inputBatchSize,
    "Rows of real requests in each processed batch.",
    ["model_name", "version"],
    BATCH_SIZE_BUCKETS,
    this.registry,
  );
  readonly #processedBatchSize = new BoundHistogram(
    METRIC_NAMES.processedBatchSize,
    "Rows of each processed batch, padding included.",
    ["model_name", "version"],
    BATCH_SIZE_BUCKETS,
    this.registry,
  );
  readonly #paddingSize = new BoundHistogram(
    METRIC_NAMES.paddingSize,
    "Rows of padding added to reach an allowed batch size.",
    ["model_name", "version"],
    [0, ...BATCH_SIZE_BUCKETS],
    this.registry,
  );

  // TF Serving's saved_model_warmup_util.cc: labelled by version folder and outcome.
  readonly #warmupLatency = new BoundHistogram(
    METRIC_NAMES.warmupLatency,
    "Distribution of wall time (in microseconds) for warming up the model.",
    ["model_path", "status"],
    LATENCY_BUCKETS_US,
    this.registry,
  );
  readonly #warmupRecordsRead = new BoundCounter(
    METRIC_NAMES.warmupRecordsRead,
    "Total number of warmup records read during model warmup.",
    ["model_path", "status"],
    this.registry,
  );
  // TF Serving's request_logger.cc.
  readonly #requestLogCount = new BoundCounter(
    METRIC_NAMES.requestLogCount,
    "The total number of requests logged from the model server sliced down by model_name and status code.",
    ["model_name", "status_code"],
    this.registry,
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  record(r: RequestRecord): void {
    this.#requests.labels([r.model, r.version, r.status]).inc();
    if (r.status !== "OK") return;
    this.#latency.labels([r.model, r.version, r.api, r.entrypoint ?? "REST"]).observe(r.latencyUs);
    if (r.runtimeUs !== undefined) {
      this.#runtimeLatency
        .labels([r.model, r.version, r.api, r.runtime ?? ""])
        .observe(r.runtimeUs);
    }
    if (r.examples !== undefined) this.#examples.labels([r.model]).observe(r.examples);
  }

  recordBatch(id: ServableId, batch: BatchRecord): void {
    const series = [id.name, String(id.version)];
    const queuing = this.#queuingLatency.labels(series);
    for (const micros of batch.queueMicros) queuing.observe(micros);
    this.#inputBatchSize.labels(series).observe(batch.rows);
    this.#processedBatchSize.labels(series).observe(batch.paddedRows);
    this.#paddingSize.labels(series).observe(batch.paddedRows - batch.rows);
  }

  recordWarmup(outcome: WarmupOutcome): void {
    const series = [outcome.modelPath, outcome.status];
    this.#warmupLatency.labels(series).observe(outcome.latencyUs);
    this.#warmupRecordsRead.labels(series).inc(outcome.records);
  }

  /** A sampled request written to (status "OK") or lost from its model's request log. */
  recordRequestLog(model: string, statusCode: string): void {
    this.#requestLogCount.labels([model, statusCode]).inc();
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
