// The pool group's workloads, run in entry.ts's process (the master of every pool). The pools of the tiny-call
// runs live across samples, as an application's pool does, and are torn down when the bench closes our stdin;
// the CPU-bound and chaos runs start a pool per sample and time it from the moment it is ready.
import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Pool, RecycleOptions } from '@cohort/core';
import type { Piscina } from 'piscina';
import type Tinypool from 'tinypool';
import { now, type Readings } from '../harness.js';
import {
  piscinaAdder,
  startPiscina,
  startTinypool,
  startWorkerpool,
  tinypoolAdder,
  workerpoolAdder,
  type WorkerpoolPool,
} from '../peers/pools.js';
import type { Adder } from '../rpc/definitions.js';
import { windowedThroughput } from '../rpc/workloads.js';
import { serveSamplers } from '../sampler-serving.js';
import { CHUNK_BYTES, PoolBench, type DeathMode } from './definitions.js';

type BenchPool = Pool<typeof PoolBench.name>;

/** A Cohort pool of the tiny-call runs: the options that differ between them. */
export interface CohortPoolConfig {
  concurrency: number;
  recycle?: RecycleOptions;
}

/** Who serves the tiny calls: a Cohort pool, or a peer library's pool of the same size. */
export type TinySubject =
  | { library: 'cohort'; pool: CohortPoolConfig }
  | { library: 'workerpool' | 'tinypool' | 'piscina' };

export interface TinyArg {
  subject: TinySubject;
  /** Workers (or threads) of the pool. */
  size: number;
  calls: number;
  /** Calls kept in flight. */
  window: number;
  /**
   * Before the clock starts: wait for a Cohort pool's recycled workers to be gone, then this many milliseconds, so
   * that a replacement still starting after the last sample (a cold start takes a core) overlaps no measurement.
   */
  settleMs?: number;
}

export interface CpuArg {
  size: number;
  calls: number;
  window: number;
}

export interface ChaosArg {
  mode: DeathMode;
  size: number;
  concurrency: number;
  retries: number;
  /** Probability that a call kills its worker. */
  dieRate: number;
  calls: number;
  window: number;
  /** Calls still unanswered this long after the pool was ready count as lost, and the run ends. */
  deadlineMs: number;
}

/** What the exit status of a worker killed by a `flaky` call reads like in its calls' errors. */
const DEATH: Record<DeathMode, RegExp> = { exit: /exited with code 1\b/, sigkill: /was killed by SIGKILL/ };

/** The first digest prefixes of the chunk `hash` hashes, computed here, to check the workers' answers by. */
function expectedDigest(index: number): number {
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x5a);
  chunk.writeUInt32LE(index, 0);
  return createHash('sha256').update(chunk).digest().readUInt32LE(0);
}

/** `calls` calls of `call(i)` with `window` always outstanding. */
async function windowed(
  calls: number,
  window: number,
  call: (i: number) => Promise<void>,
  stop = (): boolean => false,
): Promise<void> {
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued < calls && !stop()) await call(issued++);
  };
  await Promise.all(Array.from({ length: Math.min(window, calls) }, lane));
}

export function servePoolSamplers(): void {
  const cohortPools = new Map<string, Promise<BenchPool>>();
  const workerpools = new Map<number, WorkerpoolPool>();
  const tinypools = new Map<number, Tinypool>();
  const piscinas = new Map<number, Piscina>();

  const cohortPool = (size: number, config: CohortPoolConfig): Promise<BenchPool> => {
    const key = JSON.stringify([size, config]);
    let pool = cohortPools.get(key);
    if (pool === undefined) {
      pool = PoolBench.pool({
        size,
        concurrency: config.concurrency,
        ...(config.recycle === undefined ? {} : { recycle: config.recycle }),
      });
      cohortPools.set(key, pool);
    }
    return pool;
  };

  const tinyAdder = async ({ subject, size }: TinyArg): Promise<Adder> => {
    switch (subject.library) {
      case 'cohort': {
        const pool = await cohortPool(size, subject.pool);
        return { add: (a, b) => pool.run(PoolBench.functions.add, [a, b]) };
      }
      case 'workerpool': {
        const pool = workerpools.get(size) ?? startWorkerpool(size, true);
        workerpools.set(size, pool);
        return workerpoolAdder(pool);
      }
      case 'tinypool': {
        const pool = tinypools.get(size) ?? startTinypool(size);
        tinypools.set(size, pool);
        return tinypoolAdder(pool);
      }
      case 'piscina': {
        const pool = piscinas.get(size) ?? startPiscina(size);
        piscinas.set(size, pool);
        return piscinaAdder(pool);
      }
    }
  };

  serveSamplers(
    {
      tiny: async (arg): Promise<Readings> => {
        const plan = arg as TinyArg;
        const adder = await tinyAdder(plan);
        if (plan.settleMs !== undefined) {
          if (plan.subject.library === 'cohort') {
            const pool = await cohortPool(plan.size, plan.subject.pool);
            while (pool.stats().workers > plan.size) await setTimeout(20);
          }
          await setTimeout(plan.settleMs);
        }
        return { callsPerSecond: await windowedThroughput(adder, plan.calls, plan.window)() };
      },

      // A pool of `size` (concurrency 1, the default, as for CPU-bound calls), `calls` hashes, then closed. The rate
      // that counts is from the moment `Type.pool` resolved (its workers ready) to the last answer.
      cpu: async (arg): Promise<Readings> => {
        const { size, calls, window } = arg as CpuArg;
        const start = now();
        const pool = await PoolBench.pool({ size });
        const ready = now();
        let end: number;
        try {
          await windowed(calls, window, async (i) => {
            const digest = await pool.run(PoolBench.functions.hash, i);
            if (i % 1000 === 0 && digest !== expectedDigest(i))
              throw new Error(`hash(${i}) = ${digest}, expected ${expectedDigest(i)}`);
          });
          end = now();
        } finally {
          await pool.close();
        }
        return {
          callsPerSecond: calls / ((end - ready) / 1000),
          wholeCallsPerSecond: calls / ((end - start) / 1000),
          startMs: ready - start,
        };
      },

      // 1 call in 1/dieRate kills its worker; every call is given `retries`. Each call must either answer right or
      // reject with its worker's death (its retries spent); anything else (another error, a wrong answer, no answer
      // by the deadline) is lost.
      chaos: async (arg): Promise<Readings> => {
        const { mode, size, concurrency, retries, dieRate, calls, window, deadlineMs } = arg as ChaosArg;
        const pool = await PoolBench.pool({ size, concurrency, retries });
        const ready = now();
        let completed = 0;
        let died = 0;
        let lost = 0;
        let over = false;
        const examples = new Map<string, number>();
        const count = (outcome: 'completed' | 'died' | 'lost', why?: string): void => {
          if (over) return;
          if (outcome === 'completed') completed++;
          else if (outcome === 'died') died++;
          else {
            lost++;
            if (why !== undefined) examples.set(why, (examples.get(why) ?? 0) + 1);
          }
        };
        const run = windowed(
          calls,
          window,
          async (i) => {
            try {
              const sum = await pool.run(PoolBench.functions.flaky, { a: i, b: 2, dieRate, mode });
              count(sum === i + 2 ? 'completed' : 'lost', `wrong answer ${sum} for ${i} + 2`);
            } catch (error) {
              const { code, message } = error as { code?: unknown; message?: unknown };
              if (code === 'CONNECTION_CLOSED' && DEATH[mode].test(String(message))) count('died');
              else count('lost', `${String(code)}: ${String(message).slice(0, 160)}`);
            }
          },
          () => over,
        );
        const timedOut = await Promise.race([run.then(() => false), setTimeout(deadlineMs, true)]);
        const end = now();
        if (timedOut) {
          lost = calls - completed - died;
          examples.set(`no answer within ${deadlineMs} ms`, calls - completed - died);
          over = true;
        }
        const stats = pool.stats();
        await pool.close({ drain: !timedOut });
        const why = [...examples].map(([reason, n]) => `${n} × ${reason}`).join('; ');
        console.error(
          `  … pool chaos (${mode}): ${completed} answered, ${died} rejected with their worker's death, ${lost} lost` +
            `${why === '' ? '' : ` (${why})`}; ${stats.replaced} workers replaced, ${stats.retried} calls retried`,
        );
        return { callsPerSecond: completed / ((end - ready) / 1000), lost, died };
      },
    },
    async () => {
      await Promise.allSettled([
        ...[...cohortPools.values()].map((pool) => pool.then((p) => p.close({ drain: false }))),
        ...[...workerpools.values()].map((pool) => pool.terminate()),
        ...[...tinypools.values()].map((pool) => pool.destroy()),
        ...[...piscinas.values()].map((pool) => pool.destroy()),
      ]);
    },
  );
}
