import pDefer, { type DeferredPromise } from 'p-defer';

/** An unbounded push/pull queue exposed as an async iterable; `end()` finishes it after what was pushed. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: DeferredPromise<IteratorResult<T>> | undefined;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ done: false, value: item });
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    if (this.waiter !== undefined && this.items.length === 0) {
      this.waiter.resolve({ done: true, value: undefined });
      this.waiter = undefined;
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ done: false, value: this.items.shift() as T });
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    this.waiter ??= pDefer<IteratorResult<T>>();
    return this.waiter.promise;
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.items.length = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
