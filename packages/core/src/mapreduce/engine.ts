import { availableParallelism } from 'node:os';
import pDefer, { type DeferredPromise } from 'p-defer';
import { CohortError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { Worker } from '../parallel/worker.js';
import { TraceRecorder } from '../scheduler/trace.js';
import { approximateSize, BATCH_BYTES } from './approximate-size.js';
import type { MapReduceFunctions } from './definition.js';
import { MapReduceWorker } from './mapreduce-worker.js';
import type { MapReduceOptions } from './options.js';

/** Outputs of one contiguous run of inputs, `start` being the index of the first. */
export interface BatchResult {
  readonly start: number;
  readonly count: number;
  /** Per-input outputs (map mode). */
  readonly outputs: unknown[] | undefined;
  /** The batch's outputs combined in input order (combine mode). */
  readonly combined: unknown;
}

// Batches in flight per worker: enough to hide a round trip behind the worker's work.
const PIPELINE = 3;
// A batch aims at this much work on the worker, so per-call overhead stays small without starving other workers.
const TARGET_BATCH_MS = 10;
const FIRST_BATCH_ITEMS = 16;
const MAX_BATCH_ITEMS = 8192;

type MapReduceWorkerHandle = Worker<'__cohort.mapreduce'>;

interface Slot {
  readonly worker: MapReduceWorkerHandle;
  readonly index: number;
  inflight: number;
}

function knownTotal(inputs: unknown): number | undefined {
  if (Array.isArray(inputs)) return inputs.length;
  const size = (inputs as { size?: unknown }).size;
  return typeof size === 'number' ? size : undefined;
}

/** The host of each worker to start, in worker index order: `hosts` expanded, or `workers` local ones. */
function workerPlan(options: MapReduceOptions<unknown>): (Host | undefined)[] {
  if (options.hosts !== undefined) {
    return options.hosts.flatMap(({ host, workers }) => {
      if (!Number.isInteger(workers) || workers < 0) {
        throw new CohortError('INVALID_ARGUMENT', `map-reduce host "${host.name}" needs a whole number of workers, got ${workers}`);
      }
      return Array.from({ length: workers }, () => host);
    });
  }
  const count = options.workers ?? availableParallelism();
  return Number.isInteger(count) && count >= 1 ? Array.from({ length: count }, () => undefined) : [];
}

/**
 * Runs `map` over `inputs` on worker processes: pulls inputs lazily in adaptive batches, keeps a few batches in
 * flight per worker, and yields batch results (in input order when `ordered`). Memory stays bounded: nothing is
 * pulled while enough results wait for the consumer. Workers are shut down when the iteration ends, fails or is
 * abandoned.
 */
export async function* runBatches(
  fns: MapReduceFunctions,
  inputs: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapReduceOptions<unknown>,
  mode: { combine: boolean; ordered: boolean },
): AsyncGenerator<BatchResult> {
  const plan = workerPlan(options);
  if (plan.length < 1) {
    throw new CohortError('INVALID_ARGUMENT', `map-reduce needs at least one worker, got ${options.hosts === undefined ? options.workers : 0}`);
  }
  if (mode.combine && fns.combine === undefined) {
    throw new CohortError('INVALID_ARGUMENT', `${fns.def.name} has no combine: give MapReduce.define a combine to reduce`);
  }
  const batching = options.batching !== false;
  const pipeline = batching ? PIPELINE : 1;
  const trace = options.trace === undefined ? undefined : new TraceRecorder();
  const total = knownTotal(inputs);
  const asyncSource = (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator]?.();
  const syncSource = asyncSource === undefined ? (inputs as Iterable<unknown>)[Symbol.iterator]() : undefined;

  const ready: BatchResult[] = [];
  const held = new Map<number, BatchResult>();
  let nextToYield = 0;
  let nextIndex = 0;
  let exhausted = false;
  let inflight = 0;
  let done = 0;
  let batchSize = batching ? FIRST_BATCH_ITEMS : 1;
  let failure: { error: unknown } | undefined;
  let wake: DeferredPromise<void> | undefined;
  let finished = false;
  const notify = (): void => {
    wake?.resolve();
    wake = undefined;
  };
  // Each worker takes work as soon as it is ready: waiting for all of them would make the first ones idle for the
  // difference, a good part of a short operation's time. A spawn that fails fails the operation.
  const slots: Slot[] = [];
  const spawned = Promise.allSettled(
    plan.map((host, index) =>
      spawnWorker(fns, options, host, index).then(
        (worker) => {
          slots.push({ worker, index, inflight: 0 });
          trace?.nameTrack(index + 1, worker.name);
          notify();
        },
        (error: unknown) => {
          failure ??= { error };
          notify();
        },
      ),
    ),
  );

  const pull = async (): Promise<unknown[]> => {
    const items: unknown[] = [];
    let bytes = 0;
    while (items.length < batchSize && bytes < BATCH_BYTES) {
      const step = syncSource !== undefined ? syncSource.next() : await asyncSource!.next();
      if (step.done === true) {
        exhausted = true;
        break;
      }
      items.push(step.value);
      bytes += approximateSize(step.value, BATCH_BYTES - bytes);
    }
    return items;
  };

  const accept = (result: BatchResult): void => {
    if (!mode.ordered) {
      ready.push(result);
      return;
    }
    held.set(result.start, result);
    for (let next = held.get(nextToYield); next !== undefined; next = held.get(nextToYield)) {
      held.delete(nextToYield);
      ready.push(next);
      nextToYield += next.count;
    }
  };

  const dispatch = (slot: Slot, start: number, items: unknown[]): void => {
    slot.inflight++;
    inflight++;
    const startUs = trace?.nowUs() ?? 0;
    slot.worker.run(MapReduceWorker.functions.mapBatch, { start, items, combine: mode.combine }).then(
      (reply) => {
        slot.inflight--;
        inflight--;
        if (batching) {
          const perItemMs = Math.max(reply.ms / items.length, 0.0005);
          const byTime = Math.max(1, Math.round(TARGET_BATCH_MS / perItemMs));
          // Large outputs bound the batch too, or replies would buffer hundreds of MiB (or exceed the message limit).
          const byBytes = Math.max(1, Math.floor((BATCH_BYTES * items.length) / Math.max(reply.bytes, 1)));
          const wanted = Math.min(MAX_BATCH_ITEMS, byTime, byBytes);
          batchSize = byBytes < batchSize ? byBytes : Math.max(1, Math.round((batchSize + wanted) / 2));
        }
        done += items.length;
        trace?.add({
          track: slot.index + 1,
          trackName: slot.worker.name,
          name: `${fns.def.name} [${start}…${start + items.length - 1}]`,
          startUs,
          durationUs: (trace?.nowUs() ?? 0) - startUs,
          args: { inputs: String(items.length) },
        });
        accept({ start, count: items.length, outputs: reply.outputs, combined: reply.combined });
        if (options.onProgress !== undefined) {
          try {
            options.onProgress(total === undefined ? { done } : { done, total });
          } catch (error) {
            failure ??= { error };
          }
        }
        notify();
      },
      (error: unknown) => {
        failure ??= { error };
        notify();
      },
    );
  };

  const room = (): boolean => ready.length + held.size + inflight < plan.length * pipeline * 2;

  try {
    while (true) {
      while (!exhausted && failure === undefined && room()) {
        let slot: Slot | undefined;
        for (const s of slots) if (s.inflight < pipeline && (slot === undefined || s.inflight < slot.inflight)) slot = s;
        if (slot === undefined) break;
        const start = nextIndex;
        const items = await pull();
        if (items.length === 0) break;
        nextIndex += items.length;
        dispatch(slot, start, items);
      }
      if (failure !== undefined) throw failure.error;
      const next = ready.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (exhausted && inflight === 0) {
        finished = true;
        return;
      }
      wake = pDefer<void>();
      await wake.promise;
    }
  } finally {
    // Workers still starting are stopped too, once they are up (or have failed).
    await spawned;
    await stopWorkers(slots, finished);
    if (!finished && syncSource !== undefined) syncSource.return?.();
    if (!finished && asyncSource !== undefined) void Promise.resolve(asyncSource.return?.()).catch(() => undefined);
    if (trace !== undefined && options.trace !== undefined) {
      await trace.write(options.trace, `map-reduce ${fns.def.name}`).catch((error: unknown) => {
        // A trace that cannot be written must not hide why the operation failed (or silently end a `break`).
        if (finished && failure === undefined) throw error;
        process.emitWarning(`could not write the map-reduce trace ${options.trace}: ${(error as Error).message}`, 'CohortWarning');
      });
    }
    // A worker that could not start fails the operation even if the others did the work without it.
    if (finished && failure !== undefined) throw failure.error;
  }
}

function spawnWorker(fns: MapReduceFunctions, options: MapReduceOptions<unknown>, host: Host | undefined, index: number): Promise<MapReduceWorkerHandle> {
  return MapReduceWorker.spawn({
    ...options.spawn,
    ...(host === undefined ? {} : { host }),
    init: { def: fns.def.name, param: options.param, workerIndex: index },
    name: `${fns.def.name}-${index}`,
  });
}

/** Done: let workers exit normally. Abandoned or failed: they may be mid-map, so kill them. */
async function stopWorkers(slots: readonly Slot[], graceful: boolean): Promise<void> {
  await Promise.all(
    slots.map(async ({ worker }) => {
      if (graceful) await worker.shutdown();
      else {
        worker.kill('SIGKILL');
        await worker.exited;
      }
    }),
  );
}
