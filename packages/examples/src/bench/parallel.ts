import { compare, compareReadings, metric, type BenchContext, type BenchGroup, type Metric } from './harness.js';
import type { InFlightArg, InFlightSubject, SpawnArg } from './parallel/samplers.js';
import { startSamplerProcess, type SamplerProcess } from './sampler-process.js';
import { benchScript } from './script-url.js';

// @cohort/core's Parallel workers: what a spawn costs against a bare node child, what worker.run adds to the raw
// baseline's round trip, and many calls in flight against workerpool and tinypool running process workers. All
// of it is measured in one child process (parallel/entry.ts), the Cohort master, which also holds the baselines.

const GROUP = 'parallel';
const BARE = 'bare node child';

interface Plan {
  spawn: { warmup: number; repetitions: number };
  /** `settleMs`: the pause before each sample of both sides, for the spare launched by the last spawn. */
  spare: { warmup: number; repetitions: number; settleMs: number };
  roundTrip: { callsPerSample: number; warmup: number; repetitions: number };
  inFlight: { calls: number; window: number; warmup: number; repetitions: number };
}

const FULL: Plan = {
  spawn: { warmup: 2, repetitions: 15 },
  spare: { warmup: 1, repetitions: 7, settleMs: 700 },
  roundTrip: { callsPerSample: 100, warmup: 40, repetitions: 101 },
  inFlight: { calls: 20_000, window: 256, warmup: 1, repetitions: 5 },
};

const QUICK: Plan = {
  spawn: { warmup: 0, repetitions: 2 },
  spare: { warmup: 0, repetitions: 1, settleMs: 700 },
  roundTrip: { callsPerSample: 100, warmup: 5, repetitions: 11 },
  inFlight: { calls: 5_000, window: 256, warmup: 0, repetitions: 2 },
};

const PEERS: { subject: InFlightSubject; name: string }[] = [
  { subject: 'workerpool', name: "workerpool, workerType 'process'" },
  { subject: 'tinypool', name: "tinypool, runtime 'child_process'" },
];

async function measureAll(context: BenchContext, driver: SamplerProcess): Promise<Metric[]> {
  const plan = context.quick ? QUICK : FULL;
  const metrics: Metric[] = [];

  context.progress('parallel: spawn to first call, and memory, against a bare node child');
  const spawns = await compareReadings({
    ...plan.spawn,
    baseline: driver.readings('spawn.bare'),
    cohort: driver.readings('spawn.cohort'),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: 'spawn to first call',
      unit: 'ms',
      higherIsBetter: false,
      target: { kind: 'ratio', limit: 1.5 },
      cohort: spawns.cohort('ms'),
      baseline: { name: `${BARE}, ready line`, summary: spawns.baseline('ms') },
    }),
    metric({
      group: GROUP,
      name: 'worker RSS after its first call',
      unit: 'MiB',
      higherIsBetter: false,
      target: { kind: 'difference', limit: 15 },
      cohort: spawns.cohort('rssMiB'),
      baseline: { name: BARE, summary: spawns.baseline('rssMiB') },
    }),
  );

  context.progress('parallel: spawn to first call, and memory, against a node child that loads zod');
  const zodSpawns = await compareReadings({
    ...plan.spawn,
    baseline: driver.readings('spawn.bare', { loadZod: true } satisfies SpawnArg),
    cohort: driver.readings('spawn.cohort'),
  });
  // For information: what Cohort adds to a process that has loaded zod, as every worker's entry script does.
  metrics.push(
    metric({
      group: GROUP,
      name: 'spawn to first call, against a child that loads zod',
      unit: 'ms',
      higherIsBetter: false,
      target: { kind: 'none' },
      cohort: zodSpawns.cohort('ms'),
      baseline: { name: `${BARE} importing zod, ready line`, summary: zodSpawns.baseline('ms') },
    }),
    metric({
      group: GROUP,
      name: 'worker RSS, against a child that loads zod',
      unit: 'MiB',
      higherIsBetter: false,
      target: { kind: 'none' },
      cohort: zodSpawns.cohort('rssMiB'),
      baseline: { name: `${BARE} importing zod`, summary: zodSpawns.baseline('rssMiB') },
    }),
  );

  context.progress(
    'parallel: spawn to first call from a spare worker, in a second master started with spareWorkers: 1',
  );
  const spareDriver = await startSamplerProcess(benchScript('./parallel/entry', import.meta.url), {
    env: { BENCH_SPARE_WORKERS: '1' },
  });
  try {
    const { settleMs, ...sampling } = plan.spare;
    const spares = await compare({
      ...sampling,
      baseline: spareDriver.sampler('spawn.bare', 'ms', { settleMs }),
      cohort: spareDriver.sampler('spawn.spare', 'ms', { settleMs }),
    });
    metrics.push(
      metric({
        group: GROUP,
        name: 'spawn to first call, from a spare (startApp({ spareWorkers: 1 }))',
        unit: 'ms',
        higherIsBetter: false,
        target: { kind: 'none' },
        cohort: spares.cohort,
        baseline: { name: `${BARE}, ready line`, summary: spares.baseline },
      }),
    );
  } finally {
    await spareDriver.stop();
  }

  context.progress('parallel: sequential round trips, worker.run against the raw baseline');
  const { roundTrip } = plan;
  const calls = { calls: roundTrip.callsPerSample };
  const trips = await compare({
    warmup: roundTrip.warmup,
    repetitions: roundTrip.repetitions,
    baseline: driver.sampler('roundTrip.raw', 'us', calls),
    cohort: driver.sampler('roundTrip.cohort', 'us', calls),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: 'round trip, worker.run(add)',
      unit: 'µs',
      higherIsBetter: false,
      target: { kind: 'ratio', limit: 1.3 },
      cohort: trips.cohort,
      baseline: { name: 'raw msgpackr frames', summary: trips.baseline },
    }),
  );

  const { inFlight } = plan;
  for (const workers of [1, 2] as const) {
    for (const peer of PEERS) {
      context.progress(
        `parallel: ${inFlight.calls} calls, ${inFlight.window} in flight, ${workers} worker(s), against ${peer.subject}`,
      );
      const arg = (subject: InFlightSubject): InFlightArg => ({
        subject,
        workers,
        calls: inFlight.calls,
        window: inFlight.window,
      });
      const busy = await compare({
        warmup: inFlight.warmup,
        repetitions: inFlight.repetitions,
        baseline: driver.sampler('inFlight', 'callsPerSecond', arg(peer.subject)),
        cohort: driver.sampler('inFlight', 'callsPerSecond', arg('cohort')),
      });
      metrics.push(
        metric({
          group: GROUP,
          name: `${inFlight.window} calls in flight, ${workers} worker${workers === 1 ? '' : 's'}`,
          unit: 'calls/s',
          higherIsBetter: true,
          target: { kind: 'ratio', limit: 5 },
          cohort: busy.cohort,
          baseline: { name: peer.name, summary: busy.baseline },
        }),
      );
    }
  }
  return metrics;
}

export const parallelGroup: BenchGroup = {
  name: GROUP,
  title: 'Cohort workers (spawn, worker.run) vs a bare node child, the raw baseline, workerpool and tinypool',
  async run(context) {
    context.progress('parallel: starting the Cohort master process');
    const driver = await startSamplerProcess(benchScript('./parallel/entry', import.meta.url));
    try {
      return await measureAll(context, driver);
    } finally {
      await driver.stop();
    }
  },
};
