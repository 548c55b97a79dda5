// A call that fails later (in a socket callback, a timer) fails with a stack that points at the caller's code: the
// line that called dispatch, not the library's frames. The caller's own errors keep their stacks.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RemoteError, Rpc, RpcError, ValidationError, type Connection } from '../src/index.js';
import { hang } from './fixtures/protocol.js';
import { recorder } from './fixtures/recorder.js';
import { rejection, useHarness, waitFor } from './helpers.js';

const h = useHarness();

const fail = Rpc.rpc({ name: 'fail', input: z.void(), output: z.void() });
const badOutput = Rpc.rpc({ name: 'badOutput', input: z.void(), output: z.number() });
const breaking = Rpc.pipe({ name: 'breaking', input: z.void(), item: z.number() });
const sink = Rpc.reversePipe({ name: 'sink', input: z.void(), item: z.number(), output: z.number() });

const { seen, implementations: recorded } = recorder();
const implementations = [
  ...recorded,
  Rpc.implement(fail, () => {
    throw new Error('failed over there');
  }),
  Rpc.implement(badOutput, () => 'not a number' as unknown as number),
  Rpc.implement(breaking, async function* () {
    yield 1;
    throw new Error('the pipe broke');
  }),
  Rpc.implement(sink, async (_, items) => {
    let sum = 0;
    for await (const item of items) sum += item;
    return sum;
  }),
];

/** The frames of an error's stack, as lines. */
function frames(error: Error): string[] {
  return (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
}

/**
 * The first frame is this test's caller function (`at async caller` when the call failed later and was found through
 * the chain of async functions awaiting it), and no frame is the RPC layer's nor Node's.
 */
function pointsAt(error: Error, caller: string): void {
  const lines = frames(error);
  expect(lines[0]).toMatch(new RegExp(`^ {4}at (async )?${caller} \\(`));
  expect(lines[0]).toContain('call-site.test.ts:');
  expect(lines.filter((line) => line.includes('/src/') || line.includes('node:internal'))).toEqual([]);
}

// Named functions, so that the frames can be recognised. They await the call, as code that uses its answer does: an
// async function that returns the promise without awaiting it is not on the chain of awaiting functions.
async function callerOfFail(client: Connection): Promise<unknown> {
  return await client.dispatch(fail, undefined);
}
async function callerOfBadOutput(client: Connection): Promise<unknown> {
  return await client.dispatch(badOutput, undefined);
}
async function readerOfBreaking(client: Connection): Promise<number[]> {
  const got: number[] = [];
  for await (const item of await client.dispatch(breaking, undefined)) got.push(item);
  return got;
}
async function callerOfHang(client: Connection, timeoutMs?: number): Promise<unknown> {
  return await client.dispatch(hang, undefined, timeoutMs === undefined ? undefined : { timeoutMs });
}

describe('call sites', () => {
  it("a remote error's stack points at the line that dispatched, and its message and cause are kept", async () => {
    const { client } = await h.pair('unix', { server: { implementations } });
    const error = await rejection(callerOfFail(client));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.stack).toMatch(
      /^RemoteError: Error in fail on process \d+: failed over there\n {4}at (async )?callerOfFail \(/,
    );
    pointsAt(error, 'callerOfFail');
    expect((error as RemoteError).remoteStack).toContain('failed over there');
  });

  it('so does a validation error sent back by the peer', async () => {
    const { client } = await h.pair('unix', { server: { implementations } });
    const error = await rejection(callerOfBadOutput(client));
    expect(error).toBeInstanceOf(ValidationError);
    pointsAt(error, 'callerOfBadOutput');
  });

  it("a pipe's failure mid-stream points at the line that dispatched it", async () => {
    const { client } = await h.pair('unix', { server: { implementations } });
    const error = await rejection(readerOfBreaking(client));
    expect(error).toBeInstanceOf(RemoteError);
    pointsAt(error, 'readerOfBreaking');
  });

  it('a timeout and a connection closed under a pending call point at the caller', async () => {
    const { client, serverSide } = await h.pair('unix', { server: { implementations } });
    const timedOut = await rejection(callerOfHang(client, 50));
    expect(timedOut).toMatchObject({ code: 'TIMEOUT' });
    pointsAt(timedOut, 'callerOfHang');

    const pending = rejection(callerOfHang(client));
    const hangs = seen.hangs;
    await waitFor(() => seen.hangs > hangs, 'the call to reach the server');
    await serverSide.close('going away');
    const closed = await pending;
    expect(closed).toBeInstanceOf(RpcError);
    expect(closed).toMatchObject({ code: 'CONNECTION_CLOSED' });
    pointsAt(closed, 'callerOfHang');
  });

  it("the caller's own error (a reverse pipe's item source that throws) keeps its own stack", async () => {
    const { client } = await h.pair('unix', { server: { implementations } });
    async function* itemsThatThrow(): AsyncGenerator<number> {
      yield 1;
      throw new Error('my own source broke');
    }
    const error = await rejection(client.dispatch(sink, [undefined, itemsThatThrow()]));
    expect(error.message).toBe('my own source broke');
    expect(frames(error)[0]).toContain('at itemsThatThrow (');
  });

  it('Error.stackTraceLimit = 0 turns the capture off: the error has no frames at all', async () => {
    const { client } = await h.pair('unix', { server: { implementations } });
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let error: Error;
    try {
      error = await rejection(callerOfFail(client));
    } finally {
      Error.stackTraceLimit = limit;
    }
    expect(error).toBeInstanceOf(RemoteError);
    expect(frames(error)).toEqual([]);
  });
});
