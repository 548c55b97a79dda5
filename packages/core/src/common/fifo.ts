/**
 * First in, first out, with O(1) `shift`. `Array#shift` moves every element left, and an array big enough to live
 * in V8's large-object space (about 16 000 elements) cannot be trimmed in place, so a queue of 20 000 tasks taken
 * from its front cost a copy of the whole queue per task.
 */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts an item back at the front. */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  /** The item `shift` would return, left in place. */
  peek(): T | undefined {
    return this.#head === this.#items.length ? undefined : this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    // Not kept alive by the array while it waits to be compacted away.
    this.#items[this.#head++] = undefined as T;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Every item, oldest first; empties the queue. */
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.clear();
    return items;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
