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

/** The items checked but not sent yet. */
class Batch<T> {
  private items: T[] = [];
  private bytes = 0;

  constructor(private readonly options: ProduceOptions<T>) {}

  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Checks and adds one item; true once the batch is full. */
  add(value: unknown): boolean {
    const item = this.options.check(value);
    this.items.push(item);
    this.bytes += typeof item === 'object' || typeof item === 'string' ? approximateSize(item, MAX_BATCH_BYTES) : 16;
    return this.items.length >= MAX_BATCH_ITEMS || this.bytes >= MAX_BATCH_BYTES;
  }

  /** Sends what is held, unless the stream has stopped, and spends its size from the consumer's credit. */
  flush(): void {
    if (this.items.length === 0 || this.options.stopped()) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    this.options.gate.spend(this.options.sendBatch(items));
  }
}

/**
 * Pulls items from `source` and sends them in batches, never pulling while the consumer's credit is exhausted
 * (so a stalled consumer leaves the producer's generator suspended, its memory bounded). Returns normally when the
 * source is exhausted or the stream was stopped; throws what the source or `check` threw.
 */
export async function produce<T>(source: Source<unknown>, options: ProduceOptions<T>): Promise<void> {
  const asyncIterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]?.();
  const syncIterator = asyncIterator === undefined ? (source as Iterable<unknown>)[Symbol.iterator]() : undefined;
  const iterator = (asyncIterator ?? syncIterator)!;
  const batch = new Batch(options);
  let completed = false;
  try {
    completed =
      syncIterator !== undefined
        ? await pullSync(syncIterator, batch, options)
        : await pullAsync(asyncIterator!, batch, options);
    batch.flush();
  } catch (error) {
    // Items that passed before the failure still reach the consumer, ahead of the error.
    batch.flush();
    throw error;
  } finally {
    // Stopped early (cancelled or failed): run the source's `finally` blocks.
    if (!completed) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/** Pulls from a synchronous source; true once it is exhausted, false if the stream stopped first. */
async function pullSync<T>(iterator: Iterator<unknown>, batch: Batch<T>, options: ProduceOptions<T>): Promise<boolean> {
  const { gate, stopped } = options;
  while (!stopped()) {
    if (!gate.open) {
      await gate.wait();
      continue;
    }
    // Credit and cancellations arrive through the event loop, which cannot run while a synchronous source is
    // pulled: a whole batch is filled at once, and the checks happen once per batch.
    for (;;) {
      const step = iterator.next();
      if (step.done === true) return true;
      if (batch.add(step.value)) break;
    }
    batch.flush();
    // Let incoming credit, cancellations and other calls in between batches.
    await yieldToEventLoop();
  }
  return false;
}

/** Pulls from an asynchronous source; true once it is exhausted, false if the stream stopped first. */
async function pullAsync<T>(
  iterator: AsyncIterator<unknown>,
  batch: Batch<T>,
  options: ProduceOptions<T>,
): Promise<boolean> {
  const { gate, stopped } = options;
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    batch.flush();
  };
  while (!stopped()) {
    if (!gate.open) {
      batch.flush();
      await gate.wait();
      continue;
    }
    // A source that is not immediately ready must not hold finished items back. `nextTick` runs once the current
    // burst of microtasks is over: a source yielding without real waiting keeps filling the batch, one that waits
    // for I/O or a timer gets its items flushed right away.
    if (!batch.empty && !flushScheduled) {
      flushScheduled = true;
      process.nextTick(flush);
    }
    const step = await iterator.next();
    if (step.done === true) return true;
    if (stopped()) return false;
    if (batch.add(step.value)) {
      batch.flush();
      await yieldToEventLoop();
    }
  }
  return false;
}
