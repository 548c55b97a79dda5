import { type RpcStream, watchStream } from '@cohort/rpc/internal';

/**
 * Wraps a call's stream so that `onEnd` runs once when the stream ends: drained (`error` undefined), failed, broken
 * out of, or cancelled, whether it is read item by item or in batches. A pool keeps the call on its worker until then.
 */
export function onStreamEnd<T>(stream: RpcStream<T>, onEnd: (error?: unknown) => void): RpcStream<T> {
  let ended = false;
  const end = (error?: unknown): void => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  return watchStream(stream, {
    read: (step) =>
      step.then(
        (result) => {
          if (result.done === true) end();
          return result;
        },
        (error: unknown) => {
          end(error);
          throw error;
        },
      ),
    stopped: () => end(),
  });
}
