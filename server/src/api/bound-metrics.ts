import type { Metric, Registry } from "prom-client";

/**
 * Counters and histograms for the request path, exported through prom-client's registry
 * as its own Counter and Histogram are (same text, same label order). prom-client checks
 * and hashes the label values on every inc() and observe(), even on a label-bound child:
 * a few microseconds per request, a tenth of the REST thread's own work on a small model.
 * Here a label set is found by walking one Map per label (no key is built) and counting is
 * a bucket search and two additions.
 */

type LabelValues = readonly string[];

interface Series<C> {
  readonly labels: Readonly<Record<string, string>>;
  readonly cell: C;
}

/** The series of one metric, one per label set, found without building a key. */
class SeriesTree<C> {
  readonly #root = new Map<string, unknown>();
  readonly #all: Series<C>[] = [];

  constructor(
    private readonly labelNames: readonly string[],
    private readonly create: () => C,
  ) {}

  cell(values: LabelValues): C {
    let node = this.#root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i] ?? "";
      let next = node.get(value) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const leaf = values[last] ?? "";
    let series = node.get(leaf) as Series<C> | undefined;
    if (!series) {
      // Label names are the server's own; only the values come from requests.
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ""));
      series = { labels, cell: this.create() };
      node.set(leaf, series);
      this.#all.push(series);
    }
    return series.cell;
  }

  get all(): readonly Series<C>[] {
    return this.#all;
  }

  clear(): void {
    this.#root.clear();
    this.#all.length = 0;
  }
}

/** One value as prom-client's registry prints it. */
interface ExportedValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
  readonly metricName?: string;
}

interface Exported {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly values: ExportedValue[];
  readonly aggregator: "sum";
}

abstract class BoundMetric<C> {
  readonly aggregator = "sum";
  protected readonly series: SeriesTree<C>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    create: () => C,
    registry: Registry,
  ) {
    this.series = new SeriesTree(labelNames, create);
    // The registry only asks a metric for its name, its values and a reset.
    registry.registerMetric(this as unknown as Metric);
  }

  abstract readonly type: Exported["type"];

  /** The values with each label set apart, as the text exposition wants them. */
  protected abstract values(): ExportedValue[];

  /** What the registry prints: label sets apart from `le`, as prom-client keeps them. */
  async getForPromString(): Promise<Exported> {
    const { name, help, type, aggregator } = this;
    return { name, help, type, values: this.values(), aggregator };
  }

  /** As prom-client's get(): every value's labels in one object. */
  async get(): Promise<Exported> {
    const exported = await this.getForPromString();
    return {
      ...exported,
      values: exported.values.map(({ labels, sharedLabels, value, metricName }) => ({
        value,
        metricName,
        labels: { ...sharedLabels, ...labels },
      })),
    };
  }

  reset(): void {
    this.series.clear();
  }
}

/** A counter's value for one label set. */
export class CounterCell {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class BoundCounter extends BoundMetric<CounterCell> {
  readonly type = "counter";

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    super(name, help, labelNames, () => new CounterCell(), registry);
  }

  labels(values: LabelValues): CounterCell {
    return this.series.cell(values);
  }

  protected values(): ExportedValue[] {
    return this.series.all.map(({ labels, cell }) => ({ value: cell.value, labels }));
  }
}

/** A histogram's counts for one label set: per bucket (not cumulative), sum and count. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly upperBounds: readonly number[]) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.upperBounds;
    // The first bound at or above the value (prom-client's `le`); above them all: +Inf only.
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= bounds[mid]!) hi = mid;
      else lo = mid + 1;
    }
    if (lo < bounds.length) this.counts[lo]!++;
    this.sum += value;
    this.count++;
  }
}

export class BoundHistogram extends BoundMetric<HistogramCell> {
  readonly type = "histogram";

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, () => new HistogramCell(upperBounds), registry);
  }

  labels(values: LabelValues): HistogramCell {
    return this.series.cell(values);
  }

  protected values(): ExportedValue[] {
    const out: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, cell } of this.series.all) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += cell.counts[i]!;
        out.push({ value: cumulative, labels: { le }, sharedLabels: labels, metricName: bucket });
      });
      out.push(
        { value: cell.count, labels: { le: "+Inf" }, sharedLabels: labels, metricName: bucket },
        { value: cell.sum, labels: {}, sharedLabels: labels, metricName: `${this.name}_sum` },
        { value: cell.count, labels: {}, sharedLabels: labels, metricName: `${this.name}_count` },
      );
    }
    return out;
  }
}
