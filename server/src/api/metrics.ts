import {
  Counter,
  Histogram,
  Registry,
  collectDefaultMetrics,
  exponentialBuckets,
} from "prom-client";

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  record(r: RequestRecord): void {
    this.#requests.inc({ model_name: r.model, version: r.version, status: r.status });
    // TF Serving records the latency of successful requests only.
    if (r.status !== "OK") return;
    this.#latency.observe(
      { model_name: r.model, version: r.version, API: r.api, entrypoint: "REST" },
      r.latencyUs,
    );
    if (r.runtimeUs !== undefined) {
      this.#runtimeLatency.observe(
        { model_name: r.model, version: r.version, API: r.api, runtime: r.runtime ?? "" },
        r.runtimeUs,
      );
    }
    if (r.examples !== undefined) this.#examples.observe({ model: r.model }, r.examples);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
