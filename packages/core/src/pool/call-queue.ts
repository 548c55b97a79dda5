/**
 * Calls waiting for a worker, first in first out, with O(1) `shift` and removal from the middle (a call aborted or
 * timed out while queued is only marked, then skipped), so a million queued calls cost no quadratic shifting.
 */
export class CallQueue<T extends { readonly queued: boolean }> {
  #items: T[] = [];
  #head = 0;
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
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
    this.#size++;
  }

  /** The oldest call still queued. */
  shift(): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head++]!;
      if (item.queued) {
        this.#size--;
        this.#compact();
        return item;
      }
    }
    this.#compact();
    return undefined;
  }

  /** A call left the queue by itself (aborted, timed out): it no longer counts. Its entry is skipped later. */
  forget(): void {
    this.#size--;
  }

  /** Every call still queued, oldest first; empties the queue. */
  drain(): T[] {
    const items = this.#items.slice(this.#head).filter((item) => item.queued);
    this.#items = [];
    this.#head = 0;
    this.#size = 0;
    return items;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
