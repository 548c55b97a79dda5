// Waiting for observable events with generous deadlines (the machine is shared and noisy), never fixed sleeps
// standing in for an event.
/** Polls `predicate` until it holds; fails with `what` after `timeoutMs` (generous: the machine is shared). */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects if `promise` does not settle within `timeoutMs`: turns a hang into a failure that names it. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `promise` rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error as Error,
  );
}

/** Waits until a counter stops moving for `quietMs`: how a test sees that a producer has really paused. */
export async function settled(read: () => number, quietMs = 300, timeoutMs = 10_000): Promise<number> {
  let last = read();
  let since = performance.now();
  const deadline = since + timeoutMs;
  while (performance.now() - since < quietMs) {
    if (performance.now() > deadline) throw new Error(`value kept changing for ${timeoutMs} ms (now ${read()})`);
    await sleep(20);
    const now = read();
    if (now !== last) {
      last = now;
      since = performance.now();
    }
  }
  return last;
}
