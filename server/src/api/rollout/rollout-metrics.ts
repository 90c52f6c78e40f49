import { Counter, Gauge, type Registry } from "prom-client";
import type { RolloutRecord } from "../../repository/rollout-record";

/**
 * The rollouts' Prometheus metrics, beside TF Serving's (whose names gain nothing: the
 * per-version error rate is `:tensorflow:serving:request_count{model_name,version,status}`):
 *   :servable:rollout:share{model_name}                  the candidate's share (gauge)
 *   :servable:rollout:shadow_share{model_name}           its shadow share (gauge)
 *   :servable:rollout:shadow_comparisons{model_name,result="agree|disagree|error|dropped"}
 *   :servable:rollout:rollbacks{model_name,reason="error_rate|p99|manual"}
 * The gauges read the records when scraped; the counters count what this server did.
 */
export const ROLLOUT_METRIC_NAMES = {
  share: ":servable:rollout:share",
  shadowShare: ":servable:rollout:shadow_share",
  shadowComparisons: ":servable:rollout:shadow_comparisons",
  rollbacks: ":servable:rollout:rollbacks",
} as const;

export type ShadowOutcome = "agree" | "disagree" | "error" | "dropped";
export type RollbackReason = "error_rate" | "p99" | "manual";

export class RolloutMetrics {
  readonly #comparisons: Counter<"model_name" | "result">;
  readonly #rollbacks: Counter<"model_name" | "reason">;

  constructor(registry: Registry, records: () => ReadonlyMap<string, RolloutRecord>) {
    const gauge = (name: string, help: string, field: "share" | "shadow") =>
      new Gauge({
        name,
        help,
        labelNames: ["model_name"],
        registers: [registry],
        collect() {
          this.reset();
          for (const [model, record] of records()) this.set({ model_name: model }, record[field]);
        },
      });
    gauge(
      ROLLOUT_METRIC_NAMES.share,
      "Fraction of a model's unversioned requests its rollout's candidate answers.",
      "share",
    );
    gauge(
      ROLLOUT_METRIC_NAMES.shadowShare,
      "Fraction of a model's stable requests also run on its rollout's candidate.",
      "shadow",
    );
    this.#comparisons = new Counter({
      name: ROLLOUT_METRIC_NAMES.shadowComparisons,
      help: "Shadow runs on a rollout's candidate: outputs agreeing with stable's or not, failed, or dropped.",
      labelNames: ["model_name", "result"],
      registers: [registry],
    });
    this.#rollbacks = new Counter({
      name: ROLLOUT_METRIC_NAMES.rollbacks,
      help: "Rollouts this server rolled back: by a guard rail (error_rate, p99) or through the API (manual).",
      labelNames: ["model_name", "reason"],
      registers: [registry],
    });
  }

  shadow(model: string, result: ShadowOutcome): void {
    this.#comparisons.inc({ model_name: model, result });
  }

  rollback(model: string, reason: RollbackReason): void {
    this.#rollbacks.inc({ model_name: model, reason });
  }
}
