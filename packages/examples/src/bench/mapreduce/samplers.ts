// The mapreduce group's workloads, run in entry.ts's process. Every run starts cold and ends with its workers
// gone: a MapReduce operation spawns its workers and shuts them down, so the workerpool run is timed from
// creating its pool to its terminate().

/**
 * Calls kept in flight on workerpool: enough to keep its queue from running dry. Queueing all 200 000 at once is
 * 2.5× slower for workerpool (its queue is an array it shifts), and MapReduce itself reads its input lazily, so
 * a bounded window is the fair comparison.
 */
const PEER_WINDOW = 256;
import { MapReduce } from '@cohort/core';
import { now } from '../harness.js';
import { startWorkerpool } from '../peers/pools.js';
import { serveSamplers } from '../sampler-serving.js';
import { HashChunk, Increment } from './definitions.js';

export interface TinyArg {
  items: number;
  workers: number;
  /** `false`: one item per call, one call in flight per worker (rpc_parallel's design). */
  batching: boolean;
}

export interface PeerTinyArg {
  items: number;
  workers: number;
}

export interface HashArg {
  chunks: number;
  workers: number;
}

/** `0 … n-1`, made once per size: the inputs are the same array for every run and both sides. */
const ranges = new Map<number, readonly number[]>();
function range(n: number): readonly number[] {
  let values = ranges.get(n);
  if (values === undefined) {
    values = Array.from({ length: n }, (_, i) => i);
    ranges.set(n, values);
  }
  return values;
}

/** The sum of `x + 1` over `0 … n-1`: what a correct tiny map adds up to. */
const expectedSum = (n: number): number => (n * (n - 1)) / 2 + n;

function check(sum: number, n: number): void {
  if (sum !== expectedSum(n)) throw new Error(`wrong map results: sum ${sum}, expected ${expectedSum(n)}`);
}

/**
 * Items per second of the whole run, and from the first result on: by then the workers have started, so the
 * second rate is the mapping alone, without the workers' start that every run pays once.
 */
function rates(
  items: number,
  start: number,
  firstResultAt: number,
  end: number,
): { itemsPerSecond: number; computeItemsPerSecond: number } {
  return {
    itemsPerSecond: items / ((end - start) / 1000),
    computeItemsPerSecond: items / ((end - firstResultAt) / 1000),
  };
}

export function serveMapReduceSamplers(): void {
  serveSamplers(
    {
      tiny: async (arg) => {
        const { items, workers, batching } = arg as TinyArg;
        const inputs = range(items);
        const start = now();
        let firstResultAt: number | undefined;
        let sum = 0;
        for await (const output of MapReduce.map(Increment, inputs, { workers, batching })) {
          firstResultAt ??= now();
          sum += output;
        }
        check(sum, items);
        return rates(items, start, firstResultAt!, now());
      },
      'tiny.workerpool': async (arg) => {
        const { items, workers } = arg as PeerTinyArg;
        const inputs = range(items);
        const start = now();
        const pool = startWorkerpool(workers, false);
        let firstResultAt: number | undefined;
        let sum = 0;
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < items) {
            const output = (await pool.exec('increment', [inputs[next++]])) as number;
            firstResultAt ??= now();
            sum += output;
          }
        };
        try {
          await Promise.all(Array.from({ length: PEER_WINDOW }, lane));
        } finally {
          await pool.terminate();
        }
        check(sum, items);
        return rates(items, start, firstResultAt!, now());
      },
      hash: async (arg) => {
        const { chunks, workers } = arg as HashArg;
        const start = now();
        let firstResultAt: number | undefined;
        let count = 0;
        for await (const _digest of MapReduce.mapUnordered(HashChunk, range(chunks), { workers })) {
          firstResultAt ??= now();
          count++;
        }
        if (count !== chunks) throw new Error(`${count} of ${chunks} chunks hashed`);
        return rates(chunks, start, firstResultAt!, now());
      },
    },
    async () => undefined,
  );
}
