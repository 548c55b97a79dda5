import type { RpcStream } from '@cohort/rpc';

/**
 * Wraps a call's stream so that `onEnd` runs once when the stream ends: drained (`error` undefined), failed, broken
 * out of, or cancelled. A pool keeps the call on its worker until then.
 */
export function onStreamEnd<T>(stream: RpcStream<T>, onEnd: (error?: unknown) => void): RpcStream<T> {
  let ended = false;
  const end = (error?: unknown): void => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  return {
    next: () =>
      stream.next().then(
        (step) => {
          if (step.done === true) end();
          return step;
        },
        (error: unknown) => {
          end(error);
          throw error;
        },
      ),
    return: () => {
      end();
      return stream.return?.() ?? Promise.resolve({ done: true, value: undefined });
    },
    cancel: (reason) => {
      end();
      stream.cancel(reason);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
