import {
  Counter,
  Histogram,
  Registry,
  collectDefaultMetrics,
  exponentialBuckets,
} from "prom-client";
import type { BatchRecord } from "../execution/batching/batching-servable";
import type { ServableId } from "../core/servable-id";
import type { WarmupOutcome } from "../execution/warmup/model-warmup";

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

type Observer = { observe(value: number): void };
type Incrementer = { inc(): void };

export class ServingMetrics {
  readonly registry = new Registry();
  /** Label-bound children by label values: looking labels up per request costs more than counting. */
  readonly #children = new Map<string, Observer | Incrementer>();

  readonly #requests = this.#counter(METRIC_NAMES.requestCount, "The total number of requests.", [
    "model_name",
    "version",
    "status",
  ]);
  readonly #latency = this.#histogram(
    METRIC_NAMES.requestLatency,
    "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
    ["model_name", "version", "API", "entrypoint"],
    LATENCY_BUCKETS_US,
  );
  readonly #runtimeLatency = this.#histogram(
    METRIC_NAMES.runtimeLatency,
    "Distribution of wall time (in microseconds) for Tensorflow runtime.",
    ["model_name", "version", "API", "runtime"],
    LATENCY_BUCKETS_US,
  );
  readonly #examples = this.#histogram(
    METRIC_NAMES.exampleCounts,
    "The number of tensorflow.Examples per request.",
    ["model"],
    exponentialBuckets(1, 2, 15),
  );
  readonly #queuingLatency = this.#histogram(
    METRIC_NAMES.queuingLatency,
    "Distribution of wall time (in microseconds) a request waits in the batching queue.",
    ["model_name", "version"],
    LATENCY_BUCKETS_US,
  );
  readonly #inputBatchSize = this.#histogram(
    METRIC_NAMES.inputBatchSize,
    "Rows of real requests in each processed batch.",
    ["model_name", "version"],
    BATCH_SIZE_BUCKETS,
  );
  readonly #processedBatchSize = this.#histogram(
    METRIC_NAMES.processedBatchSize,
    "Rows of each processed batch, padding included.",
    ["model_name", "version"],
    BATCH_SIZE_BUCKETS,
  );
  readonly #paddingSize = this.#histogram(
    METRIC_NAMES.paddingSize,
    "Rows of padding added to reach an allowed batch size.",
    ["model_name", "version"],
    [0, ...BATCH_SIZE_BUCKETS],
  );

  // TF Serving's saved_model_warmup_util.cc: labelled by version folder and outcome.
  readonly #warmupLatency = this.#histogram(
    METRIC_NAMES.warmupLatency,
    "Distribution of wall time (in microseconds) for warming up the model.",
    ["model_path", "status"],
    LATENCY_BUCKETS_US,
  );
  readonly #warmupRecordsRead = this.#counter(
    METRIC_NAMES.warmupRecordsRead,
    "Total number of warmup records read during model warmup.",
    ["model_path", "status"],
  );
  // TF Serving's request_logger.cc.
  readonly #requestLogCount = this.#counter(
    METRIC_NAMES.requestLogCount,
    "The total number of requests logged from the model server sliced down by model_name and status code.",
    ["model_name", "status_code"],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  record(r: RequestRecord): void {
    this.#count(this.#requests, r.model, r.version, r.status);
    // TF Serving records the latency of successful requests only.
    if (r.status !== "OK") return;
    this.#observe(this.#latency, r.latencyUs, r.model, r.version, r.api, r.entrypoint ?? "REST");
    if (r.runtimeUs !== undefined) {
      this.#observe(this.#runtimeLatency, r.runtimeUs, r.model, r.version, r.api, r.runtime ?? "");
    }
    if (r.examples !== undefined) this.#observe(this.#examples, r.examples, r.model);
  }

  recordBatch(id: ServableId, batch: BatchRecord): void {
    const version = String(id.version);
    for (const micros of batch.queueMicros)
      this.#observe(this.#queuingLatency, micros, id.name, version);
    this.#observe(this.#inputBatchSize, batch.rows, id.name, version);
    this.#observe(this.#processedBatchSize, batch.paddedRows, id.name, version);
    this.#observe(this.#paddingSize, batch.paddedRows - batch.rows, id.name, version);
  }

  recordWarmup(outcome: WarmupOutcome): void {
    this.#warmupLatency.labels(outcome.modelPath, outcome.status).observe(outcome.latencyUs);
    this.#warmupRecordsRead.labels(outcome.modelPath, outcome.status).inc(outcome.records);
  }

  /** A sampled request written to (status "OK") or lost from its model's request log. */
  recordRequestLog(model: string, statusCode: string): void {
    this.#count(this.#requestLogCount, model, statusCode);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #count(metric: Counter<string>, ...values: string[]): void {
    (this.#child(metric, values) as Incrementer).inc();
  }

  #observe(metric: Histogram<string>, value: number, ...values: string[]): void {
    (this.#child(metric, values) as Observer).observe(value);
  }

  #child(metric: Counter<string> | Histogram<string>, values: string[]): Observer | Incrementer {
    const key = `${(metric as unknown as { name: string }).name}\u0000${values.join("\u0000")}`;
    let child = this.#children.get(key);
    if (!child) {
      child = (metric.labels as (...v: string[]) => Observer | Incrementer)(...values);
      this.#children.set(key, child);
    }
    return child;
  }

  #counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  #histogram(
    name: string,
    help: string,
    labelNames: string[],
    buckets: number[],
  ): Histogram<string> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
