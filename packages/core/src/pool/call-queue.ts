import { Fifo } from '../common/fifo.js';

/**
 * Calls waiting for a worker, first in first out, with O(1) `shift` and removal from the middle (a call aborted or
 * timed out while queued is only marked, then skipped), so a million queued calls cost no quadratic shifting.
 */
export class CallQueue<T extends { readonly queued: boolean }> {
  readonly #items = new Fifo<T>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#size++;
  }

  /** Puts a call back at the front (it was sent to a worker that died under it). */
  unshift(item: T): void {
    this.#items.unshift(item);
    this.#size++;
  }

  /** The oldest call still queued. */
  shift(): T | undefined {
    for (let item = this.#items.shift(); item !== undefined; item = this.#items.shift()) {
      if (item.queued) {
        this.#size--;
        return item;
      }
    }
    return undefined;
  }

  /** A call left the queue by itself (aborted, timed out): it no longer counts. Its entry is skipped later. */
  forget(): void {
    this.#size--;
  }

  /** Every call still queued, oldest first; empties the queue. */
  drain(): T[] {
    this.#size = 0;
    return this.#items.drain().filter((item) => item.queued);
  }
}
