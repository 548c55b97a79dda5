/** What a batch aims to carry each way (inputs to the worker, outputs back), in bytes. */
export const BATCH_BYTES = 1024 * 1024;

// A batch aims at this much work on the worker, so per-call overhead stays small without starving other workers.
const TARGET_BATCH_MS = 10;
const FIRST_BATCH_ITEMS = 16;
const MAX_BATCH_ITEMS = 8192;

/**
 * How many inputs the next batch takes: adapted after each reply to aim at ~10 ms of work and ~1 MiB of outputs
 * per batch, so tiny maps are not bound by one round trip per input and large outputs neither pile up nor exceed
 * the message limit. Without batching, always one.
 */
export class BatchSizer {
  #size: number;

  constructor(private readonly batching: boolean) {
    this.#size = batching ? FIRST_BATCH_ITEMS : 1;
  }

  get size(): number {
    return this.#size;
  }

  /** A batch of `items` inputs took `ms` on the worker and its outputs measured about `bytes`. */
  observe(items: number, ms: number, bytes: number): void {
    if (!this.batching) return;
    const perItemMs = Math.max(ms / items, 0.0005);
    const byTime = Math.max(1, Math.round(TARGET_BATCH_MS / perItemMs));
    const byBytes = Math.max(1, Math.floor((BATCH_BYTES * items) / Math.max(bytes, 1)));
    const wanted = Math.min(MAX_BATCH_ITEMS, byTime, byBytes);
    // Shrink at once for bytes (memory), move halfway for time (noise).
    this.#size = byBytes < this.#size ? byBytes : Math.max(1, Math.round((this.#size + wanted) / 2));
  }
}
