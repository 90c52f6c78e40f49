import type { TrafficPoint } from "./tokens";

/**
 * Per-version traffic from the server's Prometheus metrics: requests per second from
 * `:tensorflow:serving:request_count` and the median latency from the buckets of
 * `:tensorflow:serving:request_latency` (microseconds), both carrying Servable's
 * `version` label. Pure functions over two scrapes; the model keeps the history.
 */

export const REQUEST_COUNT = ":tensorflow:serving:request_count";
export const REQUEST_LATENCY_BUCKET = ":tensorflow:serving:request_latency_bucket";

/** One sample line of Prometheus's text format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Counters of one version at one scrape. */
export interface VersionCounters {
  requests: number;
  /** Cumulative count per upper bound in µs (Infinity for +Inf), summed over APIs. */
  buckets: Map<number, number>;
}

export interface Scrape {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Keyed by `versionKey(name, version)`. */
  readonly versions: ReadonlyMap<string, VersionCounters>;
}

export const versionKey = (name: string, version: string): string => `${name}\u0000${version}`;

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * The sample lines of a text exposition whose metric name is in `names`.
 * (The one npm parser of this format merges a labelled histogram's series into one, so
 * the few lines of the grammar needed here are read directly.)
 */
export function parseSamples(text: string, names: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match || !names.has(match[1])) continue;
    const labels: Record<string, string> = {};
    const body = match[2] ?? "";
    LABEL_PAIR.lastIndex = 0;
    let pair: RegExpExecArray | null;
    while (LABEL_PAIR.lastIndex < body.length && (pair = LABEL_PAIR.exec(body)) !== null) {
      labels[pair[1]] = pair[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1], labels, value: parseValue(match[3]) });
  }
  return samples;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** Reads one scrape's per-version request counts and latency buckets. */
export function readScrape(text: string, at: number): Scrape {
  const versions = new Map<string, VersionCounters>();
  const counters = (labels: Readonly<Record<string, string>>): VersionCounters | undefined => {
    const name = labels.model_name;
    const version = labels.version;
    if (name === undefined || version === undefined) return undefined;
    const key = versionKey(name, version);
    let entry = versions.get(key);
    if (!entry) versions.set(key, (entry = { requests: 0, buckets: new Map() }));
    return entry;
  };
  for (const sample of parseSamples(text, new Set([REQUEST_COUNT, REQUEST_LATENCY_BUCKET]))) {
    const entry = counters(sample.labels);
    if (!entry) continue;
    if (sample.name === REQUEST_COUNT) {
      entry.requests += sample.value;
    } else {
      const le = parseValue(sample.labels.le ?? "+Inf");
      entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + sample.value);
    }
  }
  return { at, versions };
}

/** The traffic of each version between two scrapes (a counter that went down restarted). */
export function trafficBetween(before: Scrape, after: Scrape): Map<string, TrafficPoint> {
  const seconds = (after.at - before.at) / 1000;
  const points = new Map<string, TrafficPoint>();
  if (seconds <= 0) return points;
  for (const [key, now] of after.versions) {
    const then = before.versions.get(key);
    const restarted = then !== undefined && now.requests < then.requests;
    const base = then && !restarted ? then : undefined;
    const requests = now.requests - (base?.requests ?? 0);
    const buckets = new Map<number, number>();
    for (const [le, count] of now.buckets) buckets.set(le, count - (base?.buckets.get(le) ?? 0));
    const p50 = histogramQuantile(0.5, buckets);
    points.set(key, {
      at: after.at,
      requestsPerSecond: requests / seconds,
      p50Ms: p50 === null ? null : p50 / 1000,
    });
  }
  return points;
}

/**
 * Prometheus's histogram_quantile over cumulative buckets (upper bound -> count):
 * linear interpolation inside the bucket the rank falls in; the highest finite bound
 * when it falls in +Inf; null when there is no observation.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | null {
  const sorted = [...buckets.entries()].sort(([a], [b]) => a - b);
  if (sorted.length === 0) return null;
  const total = sorted[sorted.length - 1][1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [upper, count] of sorted) {
    if (count >= rank) {
      if (upper === Infinity) return lowerBound;
      const inBucket = count - lowerCount;
      if (inBucket <= 0) return upper;
      return lowerBound + (upper - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = upper;
    lowerCount = count;
  }
  return lowerBound;
}
