import type { RpcStream } from './stream-receiver.js';

/** What a view of a stream does around the reads and stops of its reader. */
export interface StreamHooks {
  /** Sees every read, of an item or of a batch, and may change its outcome (explain an error, note the end). */
  read<R>(step: Promise<IteratorResult<R>>): Promise<IteratorResult<R>>;
  /** The reader stopped the stream: `break`, `return()` or `cancel()`. */
  stopped?(): void;
}

/**
 * The same stream, read through `hooks`, whichever way it is read (item by item or in batches), so that a layer
 * above (a worker's explained errors, a pool's hold on its worker) cannot miss a way of reading it.
 */
export function watchStream<T>(stream: RpcStream<T>, hooks: StreamHooks): RpcStream<T> {
  const stop = (): void => hooks.stopped?.();
  return {
    next: () => hooks.read(stream.next()),
    return: () => {
      stop();
      return stream.return?.() ?? Promise.resolve({ done: true, value: undefined });
    },
    cancel: (reason) => {
      stop();
      stream.cancel(reason);
    },
    batches: () => {
      const batches = stream.batches();
      const reader: AsyncIterableIterator<T[]> = {
        next: () => hooks.read(batches.next()),
        return: () => {
          stop();
          return batches.return?.() ?? Promise.resolve({ done: true, value: undefined });
        },
        [Symbol.asyncIterator]: () => reader,
      };
      return reader;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
