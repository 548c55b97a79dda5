// The parallel group's workloads, run in entry.ts's process (the Cohort master). Each returns readings the bench
// turns into metrics; the resources they share (serving workers, the raw client, the peers' pools) are set up on
// first use and torn down when the bench closes our stdin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import type { Worker } from '@cohort/core';
import type Tinypool from 'tinypool';
import { startServer } from '../child-process.js';
import { now, type Readings } from '../harness.js';
import { startTinypool, startWorkerpool, tinypoolAdder, workerpoolAdder, type WorkerpoolPool } from '../peers/pools.js';
import type { Adder } from '../rpc/definitions.js';
import { RawClient } from '../rpc/raw-client.js';
import { sequentialLatency, windowedThroughput } from '../rpc/workloads.js';
import { serveSamplers } from '../sampler-serving.js';
import { BenchWorker } from './bench-worker.js';
import { residentMiB } from './process-memory.js';
import { benchScript } from '../script-url.js';

type BenchWorkerHandle = Worker<typeof BenchWorker.name>;

/** Who serves the in-flight calls. */
export type InFlightSubject = 'cohort' | 'workerpool' | 'tinypool';

export interface InFlightArg {
  subject: InFlightSubject;
  workers: 1 | 2;
  calls: number;
  window: number;
}

const bareChild = benchScript('./bare-child', import.meta.url);

/** Attempts at a spawn from a spare before giving up: the spare launched after the last spawn may not be ready. */
const SPARE_ATTEMPTS = 10;

/** Of the spawn samplers: milliseconds to wait before the clock starts (for a spare launched meanwhile). */
export interface SpawnArg {
  settleMs?: number;
  /** Of spawn.bare: the child loads zod before it is ready. */
  loadZod?: boolean;
}

/** A value computed on first use, and whether it was. */
function lazy<T>(make: () => Promise<T>): { get(): Promise<T>; started: () => Promise<T> | undefined } {
  let value: Promise<T> | undefined;
  return { get: () => (value ??= make()), started: () => value };
}

const adderOf = (worker: BenchWorkerHandle): Adder => ({
  add: (a, b) => worker.run(BenchWorker.functions.add, [a, b]),
});

/** Spreads calls over several adders in turn, as a caller with several workers would. */
function roundRobin(adders: readonly Adder[]): Adder {
  let next = 0;
  return { add: (a, b) => adders[next++ % adders.length]!.add(a, b) };
}

export function serveParallelSamplers(): void {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-parallel-'));
  const rawSocket = join(dir, 'raw.sock');
  const servingWorkers = lazy(() =>
    Promise.all([BenchWorker.spawn({ init: { rawSocket } }), BenchWorker.spawn({ init: {} })]),
  );
  const raw = lazy(async () => {
    await servingWorkers.get();
    return RawClient.connect(rawSocket);
  });
  const workerpools = new Map<number, WorkerpoolPool>();
  const tinypools = new Map<number, Tinypool>();

  const inFlightAdder = async ({ subject, workers }: InFlightArg): Promise<Adder> => {
    switch (subject) {
      case 'cohort':
        return roundRobin((await servingWorkers.get()).slice(0, workers).map(adderOf));
      case 'workerpool': {
        const pool = workerpools.get(workers) ?? startWorkerpool(workers, true);
        workerpools.set(workers, pool);
        return workerpoolAdder(pool);
      }
      case 'tinypool': {
        const pool = tinypools.get(workers) ?? startTinypool(workers);
        tinypools.set(workers, pool);
        return tinypoolAdder(pool);
      }
    }
  };

  serveSamplers(
    {
      // From nothing to the answer of a first call, then the memory of the worker that answered.
      'spawn.cohort': async (): Promise<Readings> => {
        const start = now();
        const worker = await BenchWorker.spawn({ init: {} });
        const sum = await worker.run(BenchWorker.functions.add, [1, 2]);
        const ms = now() - start;
        const rssMiB = await residentMiB(worker.pid);
        await worker.shutdown();
        if (sum !== 3) throw new Error(`add(1, 2) = ${sum}`);
        return { ms, rssMiB };
      },
      // The same from a spare (startApp({ spareWorkers: 1 })): only spawns that did take one count.
      'spawn.spare': async (arg): Promise<Readings> => {
        const { settleMs = 0 } = (arg ?? {}) as SpawnArg;
        for (let attempt = 0; attempt < SPARE_ATTEMPTS; attempt++) {
          // Outside the timing: time for the spare launched by the last spawn to get ready.
          await setTimeout(settleMs);
          const startedAtEpoch = performance.timeOrigin + performance.now();
          const start = now();
          const worker = await BenchWorker.spawn({ init: {} });
          await worker.run(BenchWorker.functions.add, [1, 2]);
          const ms = now() - start;
          const processStarted = await worker.run(BenchWorker.functions.startedAt, undefined);
          await worker.shutdown();
          if (processStarted < startedAtEpoch) return { ms };
        }
        throw new Error(`no spawn took a spare in ${SPARE_ATTEMPTS} attempts ${settleMs} ms apart`);
      },
      // From nothing to the ready line of a node child that only prints it (after loading zod, with `loadZod`),
      // then that child's memory.
      'spawn.bare': async (arg): Promise<Readings> => {
        // The same pause as the spare's, so that no spare's launch overlaps either side's measurement.
        await setTimeout((arg as SpawnArg | undefined)?.settleMs ?? 0);
        const start = now();
        const child = await startServer(bareChild, (arg as SpawnArg | undefined)?.loadZod === true ? ['--zod'] : []);
        const ms = now() - start;
        const rssMiB = await residentMiB(child.pid);
        await child.stop();
        return { ms, rssMiB };
      },
      'roundTrip.raw': async (arg) => ({
        us: await sequentialLatency(await raw.get(), (arg as { calls: number }).calls)(),
      }),
      'roundTrip.cohort': async (arg) => {
        const [worker] = await servingWorkers.get();
        return { us: await sequentialLatency(adderOf(worker), (arg as { calls: number }).calls)() };
      },
      inFlight: async (arg) => {
        const plan = arg as InFlightArg;
        return { callsPerSecond: await windowedThroughput(await inFlightAdder(plan), plan.calls, plan.window)() };
      },
    },
    async () => {
      await Promise.allSettled([
        raw.started()?.then((client) => client.close()),
        servingWorkers.started()?.then((workers) => Promise.all(workers.map((worker) => worker.shutdown()))),
        ...[...workerpools.values()].map((pool) => pool.terminate()),
        ...[...tinypools.values()].map((pool) => pool.destroy()),
      ]);
      rmSync(dir, { recursive: true, force: true });
    },
  );
}
