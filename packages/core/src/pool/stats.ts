/** Percentiles of a duration, in milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** `pool.stats()`: a snapshot. */
export interface PoolStats {
  /** Worker processes alive (starting, serving or leaving). */
  readonly workers: number;
  /** Workers with at least one call in flight. */
  readonly busy: number;
  /** Calls waiting for a worker. */
  readonly queued: number;
  /** Calls in flight. */
  readonly running: number;
  /** Calls that returned (or whose stream ended). */
  readonly completed: number;
  /** Calls that rejected (thrown, timed out, aborted, worker died without retries left). */
  readonly failed: number;
  /** Calls sent again after their worker died. */
  readonly retried: number;
  /** Workers replaced: died, stopped for a timeout, or recycled. */
  readonly replaced: number;
  /** From `run` to a worker taking the call, over the last calls. */
  readonly waitMs: Percentiles;
  /** From a worker taking the call to its end, over the last calls. */
  readonly runMs: Percentiles;
}

const WINDOW = 4096;

/** The last few thousand durations, for percentiles that follow the pool's current behaviour. */
export class DurationWindow {
  readonly #samples = new Float64Array(WINDOW);
  #count = 0;

  add(ms: number): void {
    this.#samples[this.#count % WINDOW] = ms;
    this.#count++;
  }

  percentiles(): Percentiles {
    const n = Math.min(this.#count, WINDOW);
    if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]! };
  }
}
