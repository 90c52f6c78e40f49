/**
 * What one side of a rollout did over the last `windowMs`: requests, errors, latencies and,
 * for shadow runs, comparisons. The window is a ring of slices (a twelfth of it each), so
 * recording is a few additions, and old slices fall out whole: a summary covers between
 * 11/12 of the window and all of it. Latencies go into log-spaced buckets (10 % apart), so
 * percentiles cost no sorting and are within 5 % of the true value.
 *
 * The clock is injected (milliseconds, monotonic): tests move time by hand.
 */
export interface WindowSample {
  /** The request failed (by the guard's rule: not an error of the client's own). */
  readonly error?: boolean;
  /** Milliseconds of a successful request. */
  readonly latencyMs?: number;
  /** A shadow comparison: whether the outputs agreed, and their largest (finite) difference. */
  readonly compared?: { readonly agreed: boolean; readonly maxAbsDiff: number };
  /** A shadow run shed before it ran. */
  readonly dropped?: boolean;
}

export interface WindowSummary {
  /** Samples that ran (not dropped). */
  readonly requests: number;
  readonly errors: number;
  readonly compared: number;
  readonly agreed: number;
  readonly dropped: number;
  /** Largest difference of a comparison; undefined when none had a finite one. */
  readonly maxAbsDiff: number | undefined;
  /** Requests per second over the window (or over the time since it started, if shorter). */
  readonly perSecond: number;
  /** The latency at quantile q in (0, 1], undefined without latencies. */
  latencyMs(q: number): number | undefined;
}

const SLICES = 12;
const BUCKET_BASE_MS = 0.01;
const BUCKET_RATIO = 1.1;
/** 0.01 ms x 1.1^200 is over 30 minutes: enough buckets for any request. */
const BUCKETS = 200;
const LOG_RATIO = Math.log(BUCKET_RATIO);

interface Slice {
  /** The slice's number: floor(time / slice length). */
  index: number;
  requests: number;
  errors: number;
  compared: number;
  agreed: number;
  dropped: number;
  maxAbsDiff: number;
  latencies: number;
  readonly buckets: Uint32Array;
}

export class SlidingWindow {
  readonly #sliceMs: number;
  readonly #slices: Slice[] = [];
  readonly #startedAt: number;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number,
  ) {
    this.#sliceMs = windowMs / SLICES;
    this.#startedAt = now();
    for (let i = 0; i < SLICES; i++) this.#slices.push(emptySlice(-1));
  }

  record(sample: WindowSample): void {
    const slice = this.#current();
    if (sample.dropped) {
      slice.dropped++;
      return;
    }
    slice.requests++;
    if (sample.error) slice.errors++;
    if (sample.latencyMs !== undefined) {
      slice.latencies++;
      slice.buckets[bucketOf(sample.latencyMs)]!++;
    }
    if (sample.compared) {
      slice.compared++;
      if (sample.compared.agreed) slice.agreed++;
      const diff = sample.compared.maxAbsDiff;
      if (Number.isFinite(diff) && diff > slice.maxAbsDiff) slice.maxAbsDiff = diff;
    }
  }

  /** Counts add up over the live slices; a percentile walks their buckets only when asked. */
  summary(): WindowSummary {
    const live = this.#live();
    let requests = 0;
    let errors = 0;
    let compared = 0;
    let agreed = 0;
    let dropped = 0;
    let maxAbsDiff = -1;
    let latencies = 0;
    for (const slice of live) {
      requests += slice.requests;
      errors += slice.errors;
      compared += slice.compared;
      agreed += slice.agreed;
      dropped += slice.dropped;
      maxAbsDiff = Math.max(maxAbsDiff, slice.maxAbsDiff);
      latencies += slice.latencies;
    }
    const spanMs = Math.max(1000, Math.min(this.windowMs, this.now() - this.#startedAt));
    return {
      requests,
      errors,
      compared,
      agreed,
      dropped,
      maxAbsDiff: maxAbsDiff >= 0 ? maxAbsDiff : undefined,
      perSecond: requests / (spanMs / 1000),
      latencyMs(q: number) {
        if (latencies === 0) return undefined;
        const rank = Math.max(1, Math.ceil(q * latencies));
        let seen = 0;
        for (let b = 0; b < BUCKETS; b++) {
          for (const slice of live) seen += slice.buckets[b]!;
          if (seen >= rank) return bucketMiddle(b);
        }
        return bucketMiddle(BUCKETS - 1);
      },
    };
  }

  #current(): Slice {
    const index = Math.floor(this.now() / this.#sliceMs);
    const at = ((index % SLICES) + SLICES) % SLICES;
    let slice = this.#slices[at]!;
    if (slice.index !== index) {
      slice = emptySlice(index);
      this.#slices[at] = slice;
    }
    return slice;
  }

  #live(): Slice[] {
    const newest = Math.floor(this.now() / this.#sliceMs);
    return this.#slices.filter((s) => s.index > newest - SLICES && s.index <= newest);
  }
}

function emptySlice(index: number): Slice {
  return {
    index,
    requests: 0,
    errors: 0,
    compared: 0,
    agreed: 0,
    dropped: 0,
    maxAbsDiff: -1,
    latencies: 0,
    buckets: new Uint32Array(BUCKETS),
  };
}

function bucketOf(ms: number): number {
  if (!(ms > BUCKET_BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms / BUCKET_BASE_MS) / LOG_RATIO));
}

/** The geometric middle of a bucket: at most 5 % from any latency in it. */
function bucketMiddle(bucket: number): number {
  return BUCKET_BASE_MS * BUCKET_RATIO ** (bucket + 0.5);
}
