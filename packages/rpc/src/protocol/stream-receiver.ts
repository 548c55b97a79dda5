import pDefer, { type DeferredPromise } from 'p-defer';
import type { CreditReturner } from './credit.js';

/**
 * A stream of items from the peer (pipe items, state updates, reverse-pipe items on the serving side).
 * `for await` it; `break` (or `cancel()`) tells the producer to stop.
 */
export interface RpcStream<T> extends AsyncIterableIterator<T> {
  /** Stops the stream: the producer is told to stop and buffered items are dropped. */
  cancel(reason?: string): void;
  /**
   * The same items, read as the arrays they arrived in (up to 1024 items each) instead of one by one: for streams
   * of many small items, where a promise per item would cost more than the item. `break` stops the stream too.
   */
  batches(): AsyncIterableIterator<T[]>;
}

interface Batch {
  readonly items: unknown[];
  pos: number;
  /** The batch's encoded size: the credit its items return, spread over them as they are taken. */
  readonly bytes: number;
}

/** A read waiting for items: of one item, or of the rest of a batch. */
interface Waiter {
  readonly whole: boolean;
  readonly deferred: DeferredPromise<IteratorResult<unknown>>;
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/** Buffers what the producer sent until the application asks for it; returns credit as items are taken. */
export class StreamReceiver<T> implements RpcStream<T> {
  private readonly buffered: Batch[] = [];
  private waiter: Waiter | undefined;
  private ended = false;
  private failure: Error | undefined;
  private stopped = false;

  constructor(
    private readonly returner: CreditReturner,
    private readonly onCancel: (reason: string) => void,
  ) {}

  /** The producer sent items; `bytes` is the frame's payload size. */
  push(items: unknown[], bytes: number): void {
    if (this.stopped || this.ended) return;
    this.returner.receive(bytes);
    if (items.length === 0) return;
    const batch: Batch = { items, pos: 0, bytes };
    if (this.waiter !== undefined && this.buffered.length === 0) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.deferred.resolve(waiter.whole ? this.takeRest(batch) : this.take(batch));
      if (batch.pos < items.length) this.buffered.push(batch);
      return;
    }
    this.buffered.push(batch);
  }

  /** The producer finished normally. Buffered items are still delivered. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleWaiter();
  }

  /** The stream failed. With `immediate`, buffered items are dropped; otherwise they are delivered first. */
  fail(error: Error, immediate = false): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (immediate) this.buffered.length = 0;
    this.settleWaiter();
  }

  next(): Promise<IteratorResult<T>> {
    const batch = this.buffered[0];
    if (batch !== undefined) {
      const result = this.take(batch);
      if (batch.pos >= batch.items.length) this.buffered.shift();
      return Promise.resolve(result);
    }
    return this.wait(false, () => this.next());
  }

  batches(): AsyncIterableIterator<T[]> {
    const reader: AsyncIterableIterator<T[]> = {
      next: () => this.nextBatch(),
      return: () => this.return(),
      [Symbol.asyncIterator]: () => reader,
    };
    return reader;
  }

  return(): Promise<IteratorResult<never>> {
    this.cancel('the consumer stopped reading');
    return Promise.resolve(DONE);
  }

  cancel(reason = 'cancelled by the consumer'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.buffered.length = 0;
    const wasEnded = this.ended;
    this.ended = true;
    this.failure = undefined;
    this.settleWaiter();
    if (!wasEnded) this.onCancel(reason);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private nextBatch(): Promise<IteratorResult<T[]>> {
    const batch = this.buffered.shift();
    if (batch !== undefined) return Promise.resolve(this.takeRest(batch));
    return this.wait(true, () => this.nextBatch());
  }

  /** A read found nothing buffered: the failure, the end, or a promise of what comes next. */
  private wait<R>(whole: boolean, retry: () => Promise<IteratorResult<R>>): Promise<IteratorResult<R>> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.stopped = true;
      return Promise.reject(failure);
    }
    if (this.ended || this.stopped) return Promise.resolve(DONE);
    // A second read while one waits (never from `for await`) reads after it, not the same item again.
    if (this.waiter !== undefined) return this.waiter.deferred.promise.then(retry, retry);
    const waiter: Waiter = { whole, deferred: pDefer<IteratorResult<unknown>>() };
    this.waiter = waiter;
    return waiter.deferred.promise as Promise<IteratorResult<R>>;
  }

  private take(batch: Batch): IteratorResult<T> {
    const i = batch.pos++;
    const value = batch.items[i] as T;
    batch.items[i] = undefined;
    // Whole-byte shares that add up to the batch's exact size. Fractional shares (bytes / items) drift in floating
    // point, and a drift of one ulp at the window's edge makes an honest producer look like one ignoring credit.
    const n = batch.items.length;
    this.returner.take(Math.floor(((i + 1) * batch.bytes) / n) - Math.floor((i * batch.bytes) / n));
    return { done: false, value };
  }

  /** Takes the items of `batch` not taken yet, with the credit they hold (the same shares as `take`'s). */
  private takeRest(batch: Batch): IteratorResult<T[]> {
    const { items, pos, bytes } = batch;
    const rest = (pos === 0 ? items : items.slice(pos)) as T[];
    batch.pos = items.length;
    this.returner.take(bytes - Math.floor((pos * bytes) / items.length));
    return { done: false, value: rest };
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.buffered.length > 0) return;
    this.waiter = undefined;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.stopped = true;
      waiter.deferred.reject(failure);
    } else waiter.deferred.resolve(DONE);
  }
}
