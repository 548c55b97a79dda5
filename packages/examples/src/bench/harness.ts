// The benchmark framework: samples, medians, paired comparisons and the `Metric` record every group reports.
//
// Noise is the enemy on a shared machine, so every comparison is *paired*: the baseline and Cohort are sampled in
// alternating order (A B B A A B …) after a warm-up of both, and the reported value is the median of the samples.
// A burst of load from another process then hits both sides alike instead of skewing one of them.

/** What a metric is compared against. Ratios are always `cohort / baseline`, in the metric's own unit. */
export type Target =
  /** `cohort / baseline` must be ≥ `limit` (higher is better) or ≤ `limit` (lower is better). */
  | { kind: 'ratio'; limit: number }
  /** `cohort` itself must be ≥ `limit` (higher is better) or ≤ `limit` (lower is better). */
  | { kind: 'absolute'; limit: number }
  /** `cohort − baseline` must be ≤ `limit` (lower is better), e.g. at most 15 MiB more memory. */
  | { kind: 'difference'; limit: number }
  /** Reported for information only. */
  | { kind: 'none' };

/** Median and extremes of one side's samples. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** One line of the results table and one entry of `bench-results.json`. */
export interface Metric {
  /** The benchmark group, e.g. `rpc`. */
  group: string;
  /** What was measured, e.g. `round trip, sequential`. */
  name: string;
  /** Unit of `cohort` and `baseline`, e.g. `µs`, `calls/s`. */
  unit: string;
  /** Median of Cohort's samples. */
  cohort: number;
  /** Median of the baseline's (or peer library's) samples; `null` when there is none. */
  baseline: number | null;
  /** What the baseline is, e.g. `raw msgpackr frames`. */
  baselineName: string | null;
  /** `cohort / baseline`, or `null` without a baseline. */
  ratio: number | null;
  target: Target;
  higherIsBetter: boolean;
  /** Whether the target is met; `true` for targets of kind `none`. */
  met: boolean;
  /** Every sample, so a reader of the JSON can judge the noise. */
  samples: { cohort: number[]; baseline: number[] | null };
}

/** What a group receives from the runner. */
export interface BenchContext {
  /** Fewer repetitions and smaller workloads: a smoke run, not a measurement. */
  readonly quick: boolean;
  /** Progress for the terminal (stderr), so stdout holds only the results table. */
  progress(line: string): void;
}

/** A set of related measurements, e.g. `rpc`; one module per group under `bench/`. */
export interface BenchGroup {
  readonly name: string;
  /** One line shown before the group runs. */
  readonly title: string;
  run(context: BenchContext): Promise<Metric[]>;
}

/** One sample: runs the workload once and returns its value in the metric's unit. */
export type Sampler = () => Promise<number>;

/** Several values read off one run of a workload (e.g. spawn time and memory of the same process), by name. */
export type Readings = Readonly<Record<string, number>>;

/** One sample of a workload that yields several readings. */
export type ReadingsSampler = () => Promise<Readings>;

export interface CompareOptions {
  /** Samples of each side taken and thrown away first (JIT, socket buffers, allocator). */
  warmup: number;
  /** Samples of each side that count. */
  repetitions: number;
  baseline: Sampler;
  cohort: Sampler;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(samples: number[]): Summary {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples };
}

/** Samples one workload alone (for metrics without a baseline). */
export async function measure(sampler: Sampler, warmup: number, repetitions: number): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await sampler();
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) samples.push(await sampler());
  return summarize(samples);
}

/** Runs `a` and `b` in alternating order (ABBA…) after warming both up; returns the samples that count. */
async function alternate<T>(
  warmup: number,
  repetitions: number,
  a: () => Promise<T>,
  b: () => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const samplesA: T[] = [];
  const samplesB: T[] = [];
  for (let i = 0; i < repetitions; i++) {
    if (i % 2 === 0) {
      samplesA.push(await a());
      samplesB.push(await b());
    } else {
      samplesB.push(await b());
      samplesA.push(await a());
    }
  }
  return { a: samplesA, b: samplesB };
}

/** Samples baseline and Cohort in alternating order (ABBA…) after warming both up. */
export async function compare(options: CompareOptions): Promise<{ baseline: Summary; cohort: Summary }> {
  const { a, b } = await alternate(options.warmup, options.repetitions, options.baseline, options.cohort);
  return { baseline: summarize(a), cohort: summarize(b) };
}

export interface CompareReadingsOptions {
  warmup: number;
  repetitions: number;
  baseline: ReadingsSampler;
  cohort: ReadingsSampler;
}

/** Summaries per reading name, for both sides: what `compareReadings` returns. */
export interface ReadingsComparison {
  baseline(reading: string): Summary;
  cohort(reading: string): Summary;
}

/**
 * `compare` for workloads that yield several readings per run: each reading gets its own medians, all taken
 * from the same paired runs.
 */
export async function compareReadings(options: CompareReadingsOptions): Promise<ReadingsComparison> {
  const { a, b } = await alternate(options.warmup, options.repetitions, options.baseline, options.cohort);
  const pick =
    (samples: Readings[], side: string) =>
    (reading: string): Summary => {
      const values = samples.map((sample) => sample[reading]);
      if (values.some((value) => value === undefined))
        throw new Error(`bench: the ${side} samples lack the reading "${reading}"`);
      return summarize(values as number[]);
    };
  return { baseline: pick(a, 'baseline'), cohort: pick(b, 'Cohort') };
}

/** Summaries per reading name of one workload sampled alone (for metrics without a baseline). */
export async function measureReadings(
  sampler: ReadingsSampler,
  warmup: number,
  repetitions: number,
): Promise<(reading: string) => Summary> {
  for (let i = 0; i < warmup; i++) await sampler();
  const samples: Readings[] = [];
  for (let i = 0; i < repetitions; i++) samples.push(await sampler());
  return (reading) => {
    const values = samples.map((sample) => sample[reading]);
    if (values.some((value) => value === undefined))
      throw new Error(`bench: the samples lack the reading "${reading}"`);
    return summarize(values as number[]);
  };
}

export interface MetricInput {
  group: string;
  name: string;
  unit: string;
  higherIsBetter: boolean;
  target: Target;
  cohort: Summary;
  baseline?: { name: string; summary: Summary };
}

/** Builds a `Metric`: computes the ratio and whether the target is met. */
export function metric(input: MetricInput): Metric {
  const cohort = input.cohort.median;
  const baseline = input.baseline?.summary.median ?? null;
  const ratio = baseline === null || baseline === 0 ? null : cohort / baseline;
  const better = (value: number, limit: number): boolean => (input.higherIsBetter ? value >= limit : value <= limit);
  const target = input.target;
  const met =
    target.kind === 'none'
      ? true
      : target.kind === 'absolute'
        ? better(cohort, target.limit)
        : target.kind === 'difference'
          ? baseline !== null && cohort - baseline <= target.limit
          : ratio !== null && better(ratio, target.limit);
  return {
    group: input.group,
    name: input.name,
    unit: input.unit,
    cohort,
    baseline,
    baselineName: input.baseline?.name ?? null,
    ratio,
    target,
    higherIsBetter: input.higherIsBetter,
    met,
    samples: { cohort: input.cohort.samples, baseline: input.baseline?.summary.samples ?? null },
  };
}

/** Milliseconds since an arbitrary origin, sub-millisecond precision. */
export const now = (): number => performance.now();
