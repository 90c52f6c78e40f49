import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Histogram, Registry, exponentialBuckets } from "prom-client";
import { BoundCounter, BoundHistogram } from "./bound-metrics";

const LABELS = ["model_name", "version", "API"];
const BUCKETS = exponentialBuckets(10, 1.8, 8);
const OBSERVED: [string[], number][] = [
  [["mlp", "1", "predict"], 5],
  [["mlp", "1", "predict"], 10], // on a bound: counted in it
  [["mlp", "1", "predict"], 10.5],
  [["mlp", "2", "predict"], 3000], // above every bound: +Inf only
  [["half_plus_two", "1", "classify"], 17.999],
  [["mlp", "1", "predict"], 0],
  [['we"ird\\name', "1", "predict"], 42],
];

test("a bound histogram prints what prom-client's Histogram prints for the same values", async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({
    name: "latency",
    help: "Latency.",
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [theirs],
  });
  const bound = new BoundHistogram("latency", "Latency.", LABELS, BUCKETS, ours);
  for (const [labels, value] of OBSERVED) {
    reference.labels(...labels).observe(value);
    bound.labels(labels).observe(value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // The JSON form too, but for prom-client's exemplars (none here).
  const values = async (registry: Registry) =>
    (await registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => {
        const { labels, value, metricName } = v as typeof v & { metricName?: string };
        return { labels, value, metricName };
      }),
    );
  assert.deepEqual(await values(ours), await values(theirs));
});

test("a bound counter prints what prom-client's Counter prints, and both reset", async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Counter({
    name: "requests",
    help: "Requests.",
    labelNames: LABELS,
    registers: [theirs],
  });
  const bound = new BoundCounter("requests", "Requests.", LABELS, ours);
  for (const [labels] of OBSERVED) {
    reference.labels(...labels).inc();
    bound.labels(labels).inc();
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.match(await ours.metrics(), /requests\{model_name="mlp",version="1",API="predict"\} 4/);
  ours.resetMetrics();
  theirs.resetMetrics();
  assert.equal(await ours.metrics(), await theirs.metrics());
});
