import type { Source } from '../implementation.js';
import { approximateSize } from '../wire/approximate-size.js';
import type { CreditGate } from './credit.js';

// A batch is sent once it holds this many items or roughly this many bytes, whichever comes first: large enough
// to amortise framing for tiny items, small enough that a stalled consumer's window is not overshot by much.
const MAX_BATCH_ITEMS = 1024;
const MAX_BATCH_BYTES = 64 * 1024;

export interface ProduceOptions<T> {
  readonly gate: CreditGate;
  /** Validates (and may transform) one item; throws to fail the stream. */
  readonly check: (item: unknown) => T;
  /** Sends a batch; returns its encoded size in bytes. */
  readonly sendBatch: (items: T[]) => number;
  /** True once the stream must stop (cancelled, connection closed). */
  readonly stopped: () => boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Pulls items from `source` and sends them in batches, never pulling while the consumer's credit is exhausted
 * (so a stalled consumer leaves the producer's generator suspended, its memory bounded). Returns normally when the
 * source is exhausted or the stream was stopped; throws what the source or `check` threw.
 */
export async function produce<T>(source: Source<unknown>, options: ProduceOptions<T>): Promise<void> {
  const { gate, check, sendBatch, stopped } = options;
  const asyncIterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]?.();
  const syncIterator = asyncIterator === undefined ? (source as Iterable<unknown>)[Symbol.iterator]() : undefined;
  const iterator = (asyncIterator ?? syncIterator)!;
  let batch: T[] = [];
  let batchBytes = 0;
  let flushScheduled = false;

  const flush = (): void => {
    flushScheduled = false;
    if (batch.length === 0 || stopped()) return;
    const items = batch;
    batch = [];
    batchBytes = 0;
    gate.spend(sendBatch(items));
  };

  let completed = false;
  try {
    while (!stopped()) {
      if (!gate.open) {
        flush();
        await gate.wait();
        continue;
      }
      // An async source that is not immediately ready must not hold finished items back. `nextTick` runs once the
      // current burst of microtasks is over: a source yielding without real waiting keeps filling the batch, one
      // that waits for I/O or a timer gets its items flushed right away.
      if (asyncIterator !== undefined && batch.length > 0 && !flushScheduled) {
        flushScheduled = true;
        process.nextTick(flush);
      }
      const step = syncIterator !== undefined ? syncIterator.next() : await asyncIterator!.next();
      if (step.done === true) {
        completed = true;
        break;
      }
      if (stopped()) break;
      const item = check(step.value);
      batch.push(item);
      batchBytes += approximateSize(item, MAX_BATCH_BYTES);
      if (batch.length >= MAX_BATCH_ITEMS || batchBytes >= MAX_BATCH_BYTES) {
        flush();
        // Let incoming credit, cancellations and other calls in between batches of a fast source.
        await yieldToEventLoop();
      }
    }
    flush();
  } catch (error) {
    // Items that passed before the failure still reach the consumer, ahead of the error.
    flush();
    throw error;
  } finally {
    // Stopped early (cancelled or failed): run the source's `finally` blocks.
    if (!completed) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
