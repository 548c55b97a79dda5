/** A contiguous run of inputs' results: `count` inputs from index `start`. */
export interface Run {
  readonly start: number;
  readonly count: number;
}

/**
 * Releases runs of results in input order however they arrive: a run is held until every input before it has
 * been released. With `ordered: false`, runs pass straight through.
 */
export class InOrderBuffer<R extends Run> {
  readonly #ready: R[] = [];
  readonly #held = new Map<number, R>();
  #next = 0;

  constructor(private readonly ordered: boolean) {}

  accept(run: R): void {
    if (!this.ordered) {
      this.#ready.push(run);
      return;
    }
    this.#held.set(run.start, run);
    for (let next = this.#held.get(this.#next); next !== undefined; next = this.#held.get(this.#next)) {
      this.#held.delete(this.#next);
      this.#ready.push(next);
      this.#next += next.count;
    }
  }

  /** The next run to release, if any. */
  shift(): R | undefined {
    return this.#ready.shift();
  }

  /** Runs received and not yet taken (released or held). */
  get size(): number {
    return this.#ready.length + this.#held.size;
  }
}
