import {
  Counter,
  Histogram,
  Registry,
  collectDefaultMetrics,
  exponentialBuckets,
} from "prom-client";
import type { BatchRecord } from "../batching/batching-servable";
import type { ServableId } from "../core/servable-id";

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
} as const;

/** TF Serving's latency buckets in microseconds: 10 x 1.8^i, 33 of them. */
const LATENCY_BUCKETS_US = exponentialBuckets(10, 1.8, 33);

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
}

export class ServingMetrics {
  readonly registry = new Registry();
  readonly #series = new Map<
    string,
    {
      requests: Counter.Internal;
      latency: Histogram.Internal<"model_name" | "version" | "API" | "entrypoint">;
    }
  >();
  readonly #requests = new Counter({
    name: METRIC_NAMES.requestCount,
    help: "The total number of requests.",
    labelNames: ["model_name", "version", "status"] as const,
    registers: [this.registry],
  });
  readonly #latency = new Histogram({
    name: METRIC_NAMES.requestLatency,
    help: "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
    labelNames: ["model_name", "version", "API", "entrypoint"] as const,
    buckets: LATENCY_BUCKETS_US,
    registers: [this.registry],
  });
  readonly #runtimeLatency = new Histogram({
    name: METRIC_NAMES.runtimeLatency,
    help: "Distribution of wall time (in microseconds) for Tensorflow runtime.",
    labelNames: ["model_name", "version", "API", "runtime"] as const,
    buckets: LATENCY_BUCKETS_US,
    registers: [this.registry],
  });
  readonly #examples = new Histogram({
    name: METRIC_NAMES.exampleCounts,
    help: "The number of tensorflow.Examples per request.",
    labelNames: ["model"] as const,
    buckets: exponentialBuckets(1, 2, 15),
    registers: [this.registry],
  });

  readonly #queuingLatency = new Histogram({
    name: METRIC_NAMES.queuingLatency,
    help: "Distribution of wall time (in microseconds) a request waits in the batching queue.",
    labelNames: ["model_name", "version"] as const,
    buckets: LATENCY_BUCKETS_US,
    registers: [this.registry],
  });
  readonly #inputBatchSize = new Histogram({
    name: METRIC_NAMES.inputBatchSize,
    help: "Rows of real requests in each processed batch.",
    labelNames: ["model_name", "version"] as const,
    buckets: exponentialBuckets(1, 2, 12),
    registers: [this.registry],
  });
  readonly #processedBatchSize = new Histogram({
    name: METRIC_NAMES.processedBatchSize,
    help: "Rows of each processed batch, padding included.",
    labelNames: ["model_name", "version"] as const,
    buckets: exponentialBuckets(1, 2, 12),
    registers: [this.registry],
  });
  readonly #paddingSize = new Histogram({
    name: METRIC_NAMES.paddingSize,
    help: "Rows of padding added to reach an allowed batch size.",
    labelNames: ["model_name", "version"] as const,
    buckets: [0, ...exponentialBuckets(1, 2, 12)],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  recordBatch(id: ServableId, batch: BatchRecord): void {
    const labels = { model_name: id.name, version: String(id.version) };
    for (const micros of batch.queueMicros) this.#queuingLatency.observe(labels, micros);
    this.#inputBatchSize.observe(labels, batch.rows);
    this.#processedBatchSize.observe(labels, batch.paddedRows);
    this.#paddingSize.observe(labels, batch.paddedRows - batch.rows);
  }

  record(r: RequestRecord): void {
    const series = this.#seriesOf(r);
    series.requests.inc();
    // TF Serving records the latency of successful requests only.
    if (r.status !== "OK") return;
    series.latency.observe(r.latencyUs);
    if (r.runtimeUs !== undefined) {
      this.#runtimeLatency.observe(
        { model_name: r.model, version: r.version, API: r.api, runtime: r.runtime ?? "" },
        r.runtimeUs,
      );
    }
    if (r.examples !== undefined) this.#examples.observe({ model: r.model }, r.examples);
  }

  /** Label-bound children, cached: looking labels up on every request costs more than the count. */
  #seriesOf(r: RequestRecord): {
    requests: Counter.Internal;
    latency: Histogram.Internal<"model_name" | "version" | "API" | "entrypoint">;
  } {
    const key = `${r.model}\u0000${r.version}\u0000${r.api}\u0000${r.status}`;
    let series = this.#series.get(key);
    if (!series) {
      series = {
        requests: this.#requests.labels({
          model_name: r.model,
          version: r.version,
          status: r.status,
        }),
        latency: this.#latency.labels({
          model_name: r.model,
          version: r.version,
          API: r.api,
          entrypoint: "REST",
        }),
      };
      this.#series.set(key, series);
    }
    return series;
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
