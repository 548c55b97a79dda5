import {
  compare,
  compareReadings,
  measureReadings,
  metric,
  type BenchContext,
  type BenchGroup,
  type Metric,
  type Summary,
} from './harness.js';
import type { DeathMode } from './pool/definitions.js';
import type { ChaosArg, CohortPoolConfig, CpuArg, TinyArg, TinySubject } from './pool/samplers.js';
import { startSamplerProcess, type SamplerProcess } from './sampler-process.js';
import { benchScript } from './script-url.js';

// Cohort's supervised pool (`Type.pool()`): tiny calls against the pools people use for them (workerpool and
// tinypool with process workers, piscina with threads), the scaling of CPU-bound calls from 1 worker to 2, what
// recycling costs, and a chaos run where calls kill their workers. Measured in one child process (pool/entry.ts),
// the pools' master, which also drives the peers' pools.

const GROUP = 'pool';
const SIZE = 2;
/**
 * Cohort's `concurrency` for tiny calls: what a user pipelining them would set (the default, 1, is for CPU-bound
 * calls); not the 128 that would put all 256 calls in flight on the 2 workers, so calls still wait in the pool.
 */
const PIPELINED: CohortPoolConfig = { concurrency: 64 };
const RECYCLED: CohortPoolConfig = { ...PIPELINED, recycle: { maxCalls: 1000 } };
const DEFAULT_CONCURRENCY: CohortPoolConfig = { concurrency: 1 };
const DIE_RATE = 0.01;
const RETRIES = 3;

interface Plan {
  tiny: { calls: number; window: number; warmup: number; repetitions: number };
  cpu: { calls: number; window: number; warmup: number; repetitions: number };
  /** `settleMs`: the quiet time before each sample of both sides (a recycled worker's replacement may be starting). */
  recycle: { calls: number; warmup: number; repetitions: number; settleMs: number };
  chaos: { calls: number; runs: number; deadlineMs: number };
}

const FULL: Plan = {
  tiny: { calls: 20_000, window: 256, warmup: 1, repetitions: 5 },
  // ≈ 2 s of hashing on one worker, so that the spread of a pool's first calls weighs little.
  cpu: { calls: 20_000, window: 256, warmup: 1, repetitions: 3 },
  recycle: { calls: 20_000, warmup: 0, repetitions: 3, settleMs: 1000 },
  chaos: { calls: 1000, runs: 2, deadlineMs: 120_000 },
};

const QUICK: Plan = {
  tiny: { calls: 5_000, window: 256, warmup: 0, repetitions: 1 },
  cpu: { calls: 2_000, window: 256, warmup: 0, repetitions: 1 },
  recycle: { calls: 3_000, warmup: 0, repetitions: 1, settleMs: 200 },
  chaos: { calls: 200, runs: 1, deadlineMs: 60_000 },
};

const PEERS: { library: 'workerpool' | 'tinypool' | 'piscina'; name: string; target: number }[] = [
  { library: 'workerpool', name: "workerpool, workerType 'process'", target: 5 },
  { library: 'tinypool', name: "tinypool, runtime 'child_process'", target: 5 },
  { library: 'piscina', name: 'piscina, worker threads', target: 1 },
];

const DEATHS: { mode: DeathMode; what: string }[] = [
  { mode: 'sigkill', what: 'SIGKILL their worker' },
  { mode: 'exit', what: 'process.exit(1) in their worker' },
];

const fmt = (n: number): string => n.toLocaleString('en-US');
const describePool = (config: CohortPoolConfig): string =>
  `concurrency: ${config.concurrency}${config.recycle?.maxCalls === undefined ? '' : `, recycle: { maxCalls: ${fmt(config.recycle.maxCalls)} }`}`;

/** A count that must be 0 in every run: the total over the runs, with each run's count as its samples. */
function total(summary: Summary): Summary {
  const sum = summary.samples.reduce((a, b) => a + b, 0);
  return { ...summary, median: sum };
}

async function measureAll(context: BenchContext, driver: SamplerProcess): Promise<Metric[]> {
  const plan = context.quick ? QUICK : FULL;
  const metrics: Metric[] = [];
  const { tiny } = plan;
  const tinyArg = (subject: TinySubject, extra: Partial<TinyArg> = {}): TinyArg => ({
    subject,
    size: SIZE,
    calls: tiny.calls,
    window: tiny.window,
    ...extra,
  });
  const tinyName = `${fmt(tiny.calls)} tiny calls, ${tiny.window} in flight, pool of ${SIZE}`;

  for (const peer of PEERS) {
    context.progress(`pool: ${tinyName}, ${describePool(PIPELINED)}, against ${peer.library}`);
    const runs = await compare({
      warmup: tiny.warmup,
      repetitions: tiny.repetitions,
      baseline: driver.sampler('tiny', 'callsPerSecond', tinyArg({ library: peer.library })),
      cohort: driver.sampler('tiny', 'callsPerSecond', tinyArg({ library: 'cohort', pool: PIPELINED })),
    });
    metrics.push(
      metric({
        group: GROUP,
        name: `${tinyName}, ${describePool(PIPELINED)}`,
        unit: 'calls/s',
        higherIsBetter: true,
        target: { kind: 'ratio', limit: peer.target },
        cohort: runs.cohort,
        baseline: { name: peer.name, summary: runs.baseline },
      }),
    );
  }

  context.progress(`pool: ${tinyName}, ${describePool(DEFAULT_CONCURRENCY)} (the default), against piscina`);
  const unpipelined = await compare({
    warmup: tiny.warmup,
    repetitions: tiny.repetitions,
    baseline: driver.sampler('tiny', 'callsPerSecond', tinyArg({ library: 'piscina' })),
    cohort: driver.sampler('tiny', 'callsPerSecond', tinyArg({ library: 'cohort', pool: DEFAULT_CONCURRENCY })),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `${tinyName}, ${describePool(DEFAULT_CONCURRENCY)} (the default)`,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'none' },
      cohort: unpipelined.cohort,
      baseline: { name: 'piscina, worker threads', summary: unpipelined.baseline },
    }),
  );

  const { cpu } = plan;
  const hashing = `SHA-256 of 64 KiB per call, ${fmt(cpu.calls)} calls`;
  context.progress(`pool: ${hashing}, a pool of 1 against a pool of 2`);
  const cpuArg = (size: number): CpuArg => ({ size, calls: cpu.calls, window: cpu.window });
  const scaling = await compareReadings({
    warmup: cpu.warmup,
    repetitions: cpu.repetitions,
    baseline: driver.readings('cpu', cpuArg(1)),
    cohort: driver.readings('cpu', cpuArg(2)),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `${hashing}, speed-up of a pool of 2, from the pool ready`,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 1.8 },
      cohort: scaling.cohort('callsPerSecond'),
      baseline: { name: 'the same on a pool of 1', summary: scaling.baseline('callsPerSecond') },
    }),
    metric({
      group: GROUP,
      name: `${hashing}, speed-up of a pool of 2, from Type.pool()`,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'none' },
      cohort: scaling.cohort('wholeCallsPerSecond'),
      baseline: { name: 'the same on a pool of 1', summary: scaling.baseline('wholeCallsPerSecond') },
    }),
    metric({
      group: GROUP,
      name: 'Type.pool() to ready, pool of 2 (CPU-bound runs)',
      unit: 'ms',
      higherIsBetter: false,
      target: { kind: 'none' },
      cohort: scaling.cohort('startMs'),
      baseline: { name: 'pool of 1', summary: scaling.baseline('startMs') },
    }),
  );

  const { recycle } = plan;
  const recycledName = `${fmt(recycle.calls)} tiny calls, ${tiny.window} in flight, pool of ${SIZE}, ${describePool(RECYCLED)}`;
  context.progress(`pool: ${recycledName}, against the same pool without recycling`);
  const recycledArg = (config: CohortPoolConfig): TinyArg =>
    tinyArg({ library: 'cohort', pool: config }, { calls: recycle.calls, settleMs: recycle.settleMs });
  const recycling = await compare({
    warmup: recycle.warmup,
    repetitions: recycle.repetitions,
    baseline: driver.sampler('tiny', 'callsPerSecond', recycledArg(PIPELINED)),
    cohort: driver.sampler('tiny', 'callsPerSecond', recycledArg(RECYCLED)),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: recycledName,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 0.8 },
      cohort: recycling.cohort,
      baseline: { name: `the same pool without recycling (${describePool(PIPELINED)})`, summary: recycling.baseline },
    }),
  );

  const { chaos } = plan;
  for (const death of DEATHS) {
    const chaosName = `chaos, 1 % of calls ${death.what}, ${describePool(PIPELINED)}, retries: ${RETRIES}`;
    context.progress(`pool: ${chaosName}, ${chaos.runs} × ${fmt(chaos.calls)} calls`);
    const arg: ChaosArg = {
      mode: death.mode,
      size: SIZE,
      concurrency: PIPELINED.concurrency,
      retries: RETRIES,
      dieRate: DIE_RATE,
      calls: chaos.calls,
      window: tiny.window,
      deadlineMs: chaos.deadlineMs,
    };
    const runs = await measureReadings(driver.readings('chaos', arg), 0, chaos.runs);
    metrics.push(
      metric({
        group: GROUP,
        name: `${chaosName}: calls answered`,
        unit: 'calls/s',
        higherIsBetter: true,
        target: { kind: 'none' },
        cohort: runs('callsPerSecond'),
      }),
      metric({
        group: GROUP,
        name: `${chaosName}: calls lost in ${chaos.runs} × ${fmt(chaos.calls)}`,
        unit: 'calls',
        higherIsBetter: false,
        target: { kind: 'absolute', limit: 0 },
        cohort: total(runs('lost')),
      }),
    );
  }
  return metrics;
}

export const poolGroup: BenchGroup = {
  name: GROUP,
  title:
    'Cohort Type.pool() vs workerpool, tinypool (processes) and piscina (threads); CPU-bound scaling, recycling, chaos',
  async run(context) {
    context.progress('pool: starting the pools’ master process');
    const driver = await startSamplerProcess(benchScript('./pool/entry', import.meta.url));
    try {
      return await measureAll(context, driver);
    } finally {
      await driver.stop();
    }
  },
};
