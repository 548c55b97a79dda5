import { approximateSize, withCallSite, type CallSite } from '@cohort/rpc/internal';
import pDefer, { type DeferredPromise } from 'p-defer';
import { CohortError } from '../common/errors.js';
import { TraceRecorder } from '../common/trace.js';
import { warn } from '../common/warnings.js';
import type { Host } from '../host/host.js';
import { runOn, type Worker } from '../parallel/worker.js';
import { BATCH_BYTES, BatchSizer } from './batch-sizer.js';
import type { MapReduceFunctions } from './definition.js';
import { InOrderBuffer } from './in-order-buffer.js';
import { mapReduceWorker } from './mapreduce-worker.js';
import { workerPlan, type MapReduceOptions } from './options.js';

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

type MapReduceWorkerHandle = Worker<'__cohort.mapreduce'>;
type BatchReply = { outputs?: unknown[] | undefined; combined: unknown; ms: number; bytes: number };

interface MapWorker {
  readonly worker: MapReduceWorkerHandle;
  readonly index: number;
  inflight: number;
}

function knownTotal(inputs: unknown): number | undefined {
  if (Array.isArray(inputs)) return inputs.length;
  const size = (inputs as { size?: unknown }).size;
  return typeof size === 'number' ? size : undefined;
}

/** Pulls inputs lazily, a batch at a time, from a sync or async iterable. */
class InputSource {
  exhausted = false;
  readonly #async: AsyncIterator<unknown> | undefined;
  readonly #sync: Iterator<unknown> | undefined;

  constructor(inputs: Iterable<unknown> | AsyncIterable<unknown>) {
    this.#async = (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator]?.();
    this.#sync = this.#async === undefined ? (inputs as Iterable<unknown>)[Symbol.iterator]() : undefined;
  }

  /** Up to `count` inputs, stopping early past the batch byte budget. */
  async pull(count: number): Promise<unknown[]> {
    const items: unknown[] = [];
    let bytes = 0;
    while (items.length < count && bytes < BATCH_BYTES) {
      const step = this.#sync !== undefined ? this.#sync.next() : await this.#async!.next();
      if (step.done === true) {
        this.exhausted = true;
        break;
      }
      items.push(step.value);
      bytes += approximateSize(step.value, BATCH_BYTES - bytes);
    }
    return items;
  }

  /** Abandoned before the end: let the source clean up (close files, stop generators). */
  close(): void {
    this.#sync?.return?.();
    if (this.#async !== undefined) void Promise.resolve(this.#async.return?.()).catch(() => undefined);
  }
}

/**
 * Runs `map` over `inputs` on worker processes: pulls inputs lazily in adaptive batches, keeps a few batches in
 * flight per worker, and yields batch results (in input order when `ordered`). Memory stays bounded: nothing is
 * pulled while enough results wait for the consumer. Workers are shut down when the iteration ends, fails or is
 * abandoned. The operation's own failures (a worker's, a spawn's, a bad option) point at `site`, where the caller
 * called it; those of the caller's code run here (the input iterator, `onProgress`) keep their own stacks.
 */
export async function* runBatches(
  fns: MapReduceFunctions,
  inputs: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapReduceOptions<unknown>,
  mode: { combine: boolean; ordered: boolean },
  site: CallSite | undefined,
): AsyncGenerator<BatchResult> {
  let plan: ReturnType<typeof workerPlan>;
  try {
    plan = workerPlan(options, `MapReduce(${fns.def.name})`);
  } catch (error) {
    throw withCallSite(error, site);
  }
  if (mode.combine && fns.combine === undefined) {
    throw withCallSite(
      new CohortError('INVALID_ARGUMENT', `${fns.def.name} has no combine: give MapReduce.define a combine to reduce`),
      site,
    );
  }
  const pipeline = options.batching === false ? 1 : PIPELINE;
  const sizer = new BatchSizer(options.batching !== false);
  const results = new InOrderBuffer<BatchResult>(mode.ordered);
  const trace = options.trace === undefined ? undefined : new TraceRecorder();
  const total = knownTotal(inputs);
  const source = new InputSource(inputs);

  let nextIndex = 0;
  let inflight = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  let wake: DeferredPromise<void> | undefined;
  let finished = false;
  const notify = (): void => {
    wake?.resolve();
    wake = undefined;
  };
  const fail = (error: unknown): void => {
    failure ??= { error };
    notify();
  };
  // Each worker takes work as soon as it is ready: waiting for all of them would make the first ones idle for the
  // difference, a good part of a short operation's time. A spawn that fails fails the operation.
  const workers: MapWorker[] = [];
  const spawned = Promise.allSettled(
    plan.map((host, index) =>
      startWorker(fns, options, host, index).then(
        (worker) => {
          workers.push({ worker, index, inflight: 0 });
          trace?.nameTrack(index + 1, worker.name);
          notify();
        },
        (error: unknown) => fail(withCallSite(error, site)),
      ),
    ),
  );

  const dispatch = (target: MapWorker, start: number, items: unknown[]): void => {
    target.inflight++;
    inflight++;
    const startUs = trace?.nowUs() ?? 0;
    const batch = { start, items, combine: mode.combine };
    // The worker's failures point at the caller's site, captured once for the whole operation.
    (runOn(target.worker, site, mapReduceWorker().functions.mapBatch, batch) as Promise<BatchReply>).then((reply) => {
      target.inflight--;
      inflight--;
      sizer.observe(items.length, reply.ms, reply.bytes);
      done += items.length;
      trace?.add({
        track: target.index + 1,
        trackName: target.worker.name,
        name: `${fns.def.name} [${start}…${start + items.length - 1}]`,
        startUs,
        durationUs: (trace?.nowUs() ?? 0) - startUs,
        args: { inputs: String(items.length) },
      });
      results.accept({ start, count: items.length, outputs: reply.outputs, combined: reply.combined });
      try {
        options.onProgress?.(total === undefined ? { done } : { done, total });
      } catch (error) {
        failure ??= { error };
      }
      notify();
    }, fail);
  };

  const leastBusy = (): MapWorker | undefined => {
    let best: MapWorker | undefined;
    for (const w of workers) if (w.inflight < pipeline && (best === undefined || w.inflight < best.inflight)) best = w;
    return best;
  };
  const room = (): boolean => results.size + inflight < plan.length * pipeline * 2;

  try {
    while (true) {
      while (!source.exhausted && failure === undefined && room()) {
        const target = leastBusy();
        if (target === undefined) break;
        const start = nextIndex;
        const items = await source.pull(sizer.size);
        if (items.length === 0) break;
        nextIndex += items.length;
        dispatch(target, start, items);
      }
      if (failure !== undefined) throw failure.error;
      const next = results.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (source.exhausted && inflight === 0) {
        finished = true;
        return;
      }
      wake = pDefer<void>();
      await wake.promise;
    }
  } finally {
    // Workers still starting are stopped too, once they are up (or have failed).
    await spawned;
    await stopWorkers(workers, finished);
    if (!finished) source.close();
    if (trace !== undefined && options.trace !== undefined) {
      await trace.write(options.trace, `map-reduce ${fns.def.name}`).catch((error: unknown) => {
        // A trace that cannot be written must not hide why the operation failed (or silently end a `break`).
        if (finished && failure === undefined) throw withCallSite(error, site);
        warn(
          'COHORT_TRACE_NOT_WRITTEN',
          `could not write the map-reduce trace ${options.trace}: ${(error as Error).message}`,
        );
      });
    }
    // A worker that could not start fails the operation even if the others did the work without it.
    // biome-ignore lint/correctness/noUnsafeFinally: only when the body finished normally (`finished`), so nothing is overridden
    if (finished && failure !== undefined) throw failure.error;
  }
}

function startWorker(
  fns: MapReduceFunctions,
  options: MapReduceOptions<unknown>,
  host: Host | undefined,
  index: number,
): Promise<MapReduceWorkerHandle> {
  return mapReduceWorker().spawn({
    ...options.spawn,
    ...(host === undefined ? {} : { host }),
    init: { def: fns.def.name, param: options.param, workerIndex: index },
    name: `${fns.def.name}-${index}`,
  });
}

/** Done: let workers exit normally. Abandoned or failed: they may be mid-map, so kill them. */
async function stopWorkers(workers: readonly MapWorker[], graceful: boolean): Promise<void> {
  await Promise.all(
    workers.map(async ({ worker }) => {
      if (graceful) await worker.shutdown();
      else {
        worker.kill('SIGKILL');
        await worker.exited;
      }
    }),
  );
}
