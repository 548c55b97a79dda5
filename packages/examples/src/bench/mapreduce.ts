import {
  compareReadings,
  metric,
  type BenchContext,
  type BenchGroup,
  type Metric,
  type ReadingsComparison,
} from './harness.js';
import { CHUNK_BYTES } from './mapreduce/definitions.js';
import type { HashArg, PeerTinyArg, TinyArg } from './mapreduce/samplers.js';
import { startSamplerProcess, type SamplerProcess } from './sampler-process.js';
import { benchScript } from './script-url.js';

// Cohort's MapReduce on tiny items, against itself with batching off (one item in flight per worker, as
// rpc_parallel does) and against workerpool's process pool; and a CPU-bound map on 1 then 2 workers. Every run
// spawns its workers and shuts them down. Measured in one child process (mapreduce/entry.ts), the master.

const GROUP = 'mapreduce';

interface Plan {
  tiny: { items: number; warmup: number; repetitions: number };
  /** workerpool's runs are the longest of the bench (≈ 8 s); the one-in-flight runs before them warm the master up. */
  peer: { warmup: number; repetitions: number };
  hash: { chunks: number; warmup: number; repetitions: number };
}

const FULL: Plan = {
  tiny: { items: 200_000, warmup: 1, repetitions: 3 },
  peer: { warmup: 0, repetitions: 3 },
  // ≈ 4 s of hashing on one worker: long enough that the workers' start (≈ 0.4 s, which does not get faster
  // with more workers) does not hide the scaling of the hashing itself.
  hash: { chunks: 100_000, warmup: 1, repetitions: 3 },
};

const QUICK: Plan = {
  tiny: { items: 10_000, warmup: 0, repetitions: 1 },
  peer: { warmup: 0, repetitions: 1 },
  hash: { chunks: 2_000, warmup: 0, repetitions: 1 },
};

const WORKERS = 2;

async function measureAll(context: BenchContext, driver: SamplerProcess): Promise<Metric[]> {
  const plan = context.quick ? QUICK : FULL;
  const { tiny, hash } = plan;
  const items = tiny.items.toLocaleString('en-US');
  const tinyArg = (batching: boolean): TinyArg => ({ items: tiny.items, workers: WORKERS, batching });
  const peerArg: PeerTinyArg = { items: tiny.items, workers: WORKERS };
  const metrics: Metric[] = [];
  const tinyMetrics = (baselineName: string, runs: ReadingsComparison): Metric[] => [
    metric({
      group: GROUP,
      name: `${items} tiny items (x → x + 1), ${WORKERS} workers, whole run`,
      unit: 'items/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 10 },
      cohort: runs.cohort('itemsPerSecond'),
      baseline: { name: baselineName, summary: runs.baseline('itemsPerSecond') },
    }),
    metric({
      group: GROUP,
      name: `${items} tiny items, after the workers started`,
      unit: 'items/s',
      higherIsBetter: true,
      target: { kind: 'none' },
      cohort: runs.cohort('computeItemsPerSecond'),
      baseline: { name: baselineName, summary: runs.baseline('computeItemsPerSecond') },
    }),
  ];

  context.progress(`mapreduce: ${items} tiny items, batched against one item in flight per worker`);
  const oneInFlight = await compareReadings({
    warmup: tiny.warmup,
    repetitions: tiny.repetitions,
    baseline: driver.readings('tiny', tinyArg(false)),
    cohort: driver.readings('tiny', tinyArg(true)),
  });
  metrics.push(...tinyMetrics('Cohort, batching: false (1 in flight)', oneInFlight));

  context.progress(`mapreduce: ${items} tiny items, against workerpool`);
  const workerpool = await compareReadings({
    ...plan.peer,
    baseline: driver.readings('tiny.workerpool', peerArg),
    cohort: driver.readings('tiny', tinyArg(true)),
  });
  metrics.push(...tinyMetrics("workerpool, workerType 'process'", workerpool));

  const chunks = hash.chunks.toLocaleString('en-US');
  context.progress(`mapreduce: SHA-256 of ${chunks} chunks of ${CHUNK_BYTES / 1024} KiB, 1 worker against 2`);
  const hashArg = (workers: number): HashArg => ({ chunks: hash.chunks, workers });
  const scaling = await compareReadings({
    warmup: hash.warmup,
    repetitions: hash.repetitions,
    baseline: driver.readings('hash', hashArg(1)),
    cohort: driver.readings('hash', hashArg(2)),
  });
  const hashing = `SHA-256 of ${chunks} × ${CHUNK_BYTES / 1024} KiB`;
  metrics.push(
    metric({
      group: GROUP,
      name: `${hashing}, speed-up of 2 workers, whole run`,
      unit: 'chunks/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 1.8 },
      cohort: scaling.cohort('itemsPerSecond'),
      baseline: { name: 'the same on 1 worker', summary: scaling.baseline('itemsPerSecond') },
    }),
    metric({
      group: GROUP,
      name: `${hashing}, speed-up after the workers started`,
      unit: 'chunks/s',
      higherIsBetter: true,
      target: { kind: 'none' },
      cohort: scaling.cohort('computeItemsPerSecond'),
      baseline: { name: 'the same on 1 worker', summary: scaling.baseline('computeItemsPerSecond') },
    }),
  );
  return metrics;
}

export const mapreduceGroup: BenchGroup = {
  name: GROUP,
  title: 'Cohort MapReduce vs one item in flight and workerpool (tiny items); 1 vs 2 workers (CPU-bound)',
  async run(context) {
    context.progress('mapreduce: starting the master process');
    const driver = await startSamplerProcess(benchScript('./mapreduce/entry', import.meta.url));
    try {
      return await measureAll(context, driver);
    } finally {
      await driver.stop();
    }
  },
};
