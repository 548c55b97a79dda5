// RemoteError: an implementation's exception carried back to the caller with its name, message, stack, RPC and
// peer, whatever was thrown and wherever (result, stream, state, reverse pipe). The connection stays usable.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RemoteError, Rpc } from '../src/index.js';
import { stillWorks } from './fixtures/recorder.js';
import { add } from './fixtures/protocol.js';
import { rejection, transports, useHarness } from './helpers.js';

const h = useHarness();

describe.each(transports)('RemoteError over %s', (transport) => {
  class QuotaExceeded extends Error {
    override readonly name = 'QuotaExceeded';
    readonly data = { limit: 3 };
  }
  const fail = Rpc.rpc({
    name: 'fail',
    input: z.enum(['sync', 'async', 'custom', 'string', 'object']),
    output: z.number(),
  });
  const failingTicks = Rpc.pipe({ name: 'failingTicks', input: z.number(), item: z.number() });
  const failingState = Rpc.state({ name: 'failingState', input: z.void(), state: z.number(), update: z.number() });
  const failingSink = Rpc.reversePipe({ name: 'failingSink', input: z.void(), item: z.number(), output: z.number() });

  const implementations = [
    Rpc.implement(fail, function failNow(how): number | Promise<number> {
      switch (how) {
        case 'sync':
          throw new TypeError('bad thing');
        case 'async':
          return Promise.reject(new RangeError('later bad thing'));
        case 'custom':
          throw new QuotaExceeded('over quota');
        case 'string':
          throw 'just a string';
        case 'object':
          throw { some: 'object' };
      }
    }),
    Rpc.implement(failingTicks, async function* (n) {
      for (let i = 0; i < n; i++) yield i;
      throw new Error(`stopped after ${n}`);
    }),
    Rpc.implement(failingState, () => {
      throw new Error('no state for you');
    }),
    Rpc.implement(failingSink, async (_, items) => {
      for await (const item of items) if (item === 3) throw new Error('three is too many');
      return 0;
    }),
    Rpc.implement(add, ([a, b]) => a + b),
  ];

  it('carries the remote name, message, stack, rpc and peer', async () => {
    const { client } = await h.pair(transport, { server: { implementations, description: 'server under test' } });
    const error = await rejection(client.dispatch(fail, 'sync'));
    expect(error).toBeInstanceOf(RemoteError);
    const remote = error as RemoteError;
    expect(remote.name).toBe('RemoteError');
    expect(remote.remoteName).toBe('TypeError');
    expect(remote.message).toContain('bad thing');
    expect(remote.message).toContain('fail');
    expect(remote.rpc).toBe('fail');
    expect(remote.peer).toBe('server under test');
    expect(remote.remoteStack).toContain('failNow');
    await stillWorks(client);
  });

  it('async rejections, custom classes with data, and thrown non-errors', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    expect(await rejection(client.dispatch(fail, 'async'))).toMatchObject({
      name: 'RemoteError',
      remoteName: 'RangeError',
    });
    expect(await rejection(client.dispatch(fail, 'custom'))).toMatchObject({
      remoteName: 'QuotaExceeded',
      data: { limit: 3 },
    });
    const fromString = await rejection(client.dispatch(fail, 'string'));
    expect(fromString).toBeInstanceOf(RemoteError);
    expect(fromString.message).toContain('just a string');
    expect((await rejection(client.dispatch(fail, 'object'))).message).toContain('"some":"object"');
    await stillWorks(client);
  });

  it('a pipe that throws delivers its items first, then fails the stream', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    const got: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const i of await client.dispatch(failingTicks, 5)) got.push(i);
      })(),
    );
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(error).toMatchObject({ name: 'RemoteError', rpc: 'failingTicks' });
    expect(error.message).toContain('stopped after 5');
    await stillWorks(client);
  });

  it('state and reverse-pipe implementations that throw reject the call', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    expect(await rejection(client.dispatch(failingState, undefined))).toMatchObject({
      name: 'RemoteError',
      rpc: 'failingState',
    });
    expect(await rejection(client.dispatch(failingSink, [undefined, [1, 2, 3, 4, 5]]))).toMatchObject({
      name: 'RemoteError',
      rpc: 'failingSink',
    });
    await stillWorks(client);
  });
});
