import pDefer, { type DeferredPromise } from 'p-defer';
import type { CreditReturner } from './credit.js';

/**
 * A stream of items from the peer (pipe items, state updates, reverse-pipe items on the serving side).
 * `for await` it; `break` (or `cancel()`) tells the producer to stop.
 */
export interface RpcStream<T> extends AsyncIterableIterator<T> {
  /** Stops the stream: the producer is told to stop and buffered items are dropped. */
  cancel(reason?: string): void;
}

interface Batch {
  readonly items: unknown[];
  pos: number;
  /** The batch's encoded size: the credit its items return, spread over them as they are taken. */
  readonly bytes: number;
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/** Buffers what the producer sent until the application asks for it; returns credit as items are taken. */
export class StreamReceiver<T> implements RpcStream<T> {
  private readonly batches: Batch[] = [];
  private waiter: DeferredPromise<IteratorResult<T>> | undefined;
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
    if (this.waiter !== undefined && this.batches.length === 0) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve(this.take(batch));
      if (batch.pos < items.length) this.batches.push(batch);
      return;
    }
    this.batches.push(batch);
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
    if (immediate) this.batches.length = 0;
    this.settleWaiter();
  }

  next(): Promise<IteratorResult<T>> {
    const batch = this.batches[0];
    if (batch !== undefined) {
      const result = this.take(batch);
      if (batch.pos >= batch.items.length) this.batches.shift();
      return Promise.resolve(result);
    }
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.stopped = true;
      return Promise.reject(failure);
    }
    if (this.ended || this.stopped) return Promise.resolve(DONE);
    this.waiter ??= pDefer<IteratorResult<T>>();
    return this.waiter.promise;
  }

  return(): Promise<IteratorResult<T>> {
    this.cancel('the consumer stopped reading');
    return Promise.resolve(DONE);
  }

  cancel(reason = 'cancelled by the consumer'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.batches.length = 0;
    const wasEnded = this.ended;
    this.ended = true;
    this.failure = undefined;
    this.settleWaiter();
    if (!wasEnded) this.onCancel(reason);
  }

  [Symbol.asyncIterator](): this {
    return this;
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

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.batches.length > 0) return;
    this.waiter = undefined;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.stopped = true;
      waiter.reject(failure);
    } else waiter.resolve(DONE);
  }
}
