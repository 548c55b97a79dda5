// Every RpcError code a call can end with (handshake codes live in handshake.test.ts), and RemoteError. After
// each failure the connection must still serve the next call.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RemoteError, Rpc, RpcError, type AnyImplementation } from '../src/index.js';
import { Kind } from '../src/wire/messages.js';
import { add, echo, hang, note, ticks, upload } from './fixtures/protocol.js';
import { rejection, transports, useHarness, waitFor, within } from './helpers.js';

const h = useHarness();

/** Implementations that record what reached them, so tests can prove what did not. */
function recorder() {
  const seen = { add: 0, echo: 0, hangs: 0, ticks: 0, notes: [] as string[], aborts: [] as unknown[], finallies: 0, yielded: 0 };
  const implementations: AnyImplementation[] = [
    Rpc.implement(add, ([a, b]) => {
      seen.add++;
      return a + b;
    }),
    Rpc.implement(echo, (b) => {
      seen.echo++;
      return b;
    }),
    Rpc.implement(note, (text) => void seen.notes.push(text)),
    Rpc.implement(hang, (_, ctx) => {
      seen.hangs++;
      return new Promise<string>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          seen.aborts.push(ctx.signal.reason);
          resolve('aborted');
        });
      });
    }),
    Rpc.implement(ticks, async function* (n, ctx) {
      seen.ticks++;
      try {
        for (let i = 0; i < n; i++) {
          seen.yielded++;
          yield i;
          // Slow enough that the consumer is always ahead: aborts and breaks land mid-stream.
          if (i >= 10) await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        seen.finallies++;
        if (ctx.signal.aborted) seen.aborts.push(ctx.signal.reason);
      }
    }),
    Rpc.implement(upload, async (name, items) => {
      let bytes = 0;
      let chunks = 0;
      for await (const item of items) {
        bytes += item.length;
        chunks++;
      }
      return { name, bytes, chunks };
    }),
  ];
  return { seen, implementations };
}

const stillWorks = async (conn: { dispatch: (def: typeof add, input: [number, number]) => Promise<number> }): Promise<void> => {
  expect(await conn.dispatch(add, [20, 22])).toBe(42);
};

describe.each(transports)('RpcError codes over %s', (transport) => {
  describe('CONNECTION_CLOSED', () => {
    it('a pending call rejects when the peer closes the connection', async () => {
      const { seen, implementations } = recorder();
      const { client, serverSide } = await h.pair(transport, { server: { implementations } });
      const pending = rejection(client.dispatch(hang, undefined));
      await waitFor(() => seen.hangs === 1, 'the call to start');
      await serverSide.close('going away');
      const error = await pending;
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'CONNECTION_CLOSED', rpc: 'hang' });
      expect(error.message).toContain('going away');
    });

    it('pending calls and streams reject when the server closes', async () => {
      const { implementations } = recorder();
      const { server, client } = await h.pair(transport, { server: { implementations } });
      const call = rejection(client.dispatch(hang, undefined));
      const stream = await client.dispatch(ticks, 1_000_000);
      await stream.next();
      await server.close('maintenance');
      expect(await call).toMatchObject({ code: 'CONNECTION_CLOSED' });
      const drained = (async () => {
        for (;;) if ((await stream.next()).done === true) return;
      })();
      expect(await rejection(drained)).toMatchObject({ code: 'CONNECTION_CLOSED' });
      expect((await client.closed).reason).toBe('maintenance');
    });

    it('dispatching on a closed connection rejects at once, for every kind', async () => {
      const { implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      await client.close('done');
      for (const error of await Promise.all([
        rejection(client.dispatch(add, [1, 2])),
        rejection(client.dispatch(ticks, 1)),
        rejection(client.dispatch(note, 'x')),
        rejection(client.dispatch(upload, ['x', []])),
      ])) {
        expect(error).toBeInstanceOf(RpcError);
        expect((error as RpcError).code).toBe('CONNECTION_CLOSED');
        expect(error.message).toContain('done');
      }
    });
  });

  describe('UNIMPLEMENTED', () => {
    it('rejects at once, without a round trip, when the peer menu lacks the RPC', async () => {
      const missing = Rpc.rpc({ name: 'missing', input: z.void(), output: z.void() });
      const { client } = await h.pair(transport, { server: { implementations: recorder().implementations } });
      expect(client.implements(missing)).toBe(false);
      const outcome = client.dispatch(missing, undefined).catch((e: unknown) => e);
      // Settled before the event loop could even read a response.
      const first = await Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('still pending')))]);
      expect(first).toBeInstanceOf(RpcError);
      expect(first).toMatchObject({ code: 'UNIMPLEMENTED', rpc: 'missing' });
      await stillWorks(client);
    });

    it('a different version of a served name is not implemented', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const add1 = Rpc.rpc({ name: 'add', version: 1, input: add.input, output: add.output });
      expect(client.implements(add)).toBe(true);
      expect(client.implements(add1)).toBe(false);
      const error = await rejection(client.dispatch(add1, [1, 2]));
      expect(error).toMatchObject({ code: 'UNIMPLEMENTED', rpc: 'add' });
      expect(error.message).toContain('version 1');
      expect(seen.add).toBe(0);
      await stillWorks(client);
    });

    it('a call that expects an answer from what the server serves as one-way is refused, not left waiting', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const noteAsRpc = Rpc.rpc({ name: 'note', input: z.string(), output: z.void() });
      const error = await within(rejection(client.dispatch(noteAsRpc, 'x')), 5_000, 'the mismatched call');
      expect(error).toMatchObject({ code: 'UNIMPLEMENTED', rpc: 'note' });
      expect(error.message).toContain('one-way');
      expect(seen.notes).toEqual([]);
      await stillWorks(client);
    });

    it('the server answers UNIMPLEMENTED to a peer that ignores its menu', async () => {
      const server = await h.server(transport, { implementations: recorder().implementations });
      const raw = await h.raw(server.address);
      await raw.handshake();
      raw.send([Kind.Query, 1, 'nope', 0, null]);
      const answer = await raw.next((m) => m[0] === Kind.Error && m[1] === 1, 'the error');
      expect(answer[2]).toMatchObject({ type: 'rpc', code: 'UNIMPLEMENTED' });
      raw.send([Kind.Query, 2, 'add', 0, [1, 1]]);
      expect(await raw.next((m) => m[0] === Kind.Result && m[1] === 2, 'the result')).toEqual([Kind.Result, 2, 2]);
    });
  });

  describe('MESSAGE_TOO_BIG', () => {
    it('on send: the call rejects, nothing is written, and the next call goes through', async () => {
      const { seen, implementations } = recorder();
      const server = await h.server(transport, { implementations, settings: { maxMessageSize: 1024 } });
      const proxy = await h.proxy(transport, server.address);
      const client = await h.connect({ address: proxy.address, settings: { maxMessageSize: 1024 } });
      await stillWorks(client);
      await waitFor(() => proxy.down() > 0, 'the answer to pass the proxy');
      const before = proxy.up();
      const error = await rejection(client.dispatch(echo, new Uint8Array(2000)));
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'MESSAGE_TOO_BIG', rpc: 'echo' });
      expect(error.message).toMatch(/maxMessageSize/);
      // A one-way message is refused the same way.
      expect(await rejection(client.dispatch(note, 'x'.repeat(2000)))).toMatchObject({ code: 'MESSAGE_TOO_BIG' });
      await stillWorks(client);
      expect(proxy.up() - before).toBeLessThan(100);
      expect(seen.echo).toBe(0);
      expect(seen.notes).toEqual([]);
      expect(await client.dispatch(echo, new Uint8Array(500))).toHaveLength(500);
    });

    it('on send of a reverse-pipe item: the call rejects and the connection stays usable', async () => {
      const { implementations } = recorder();
      const { client } = await h.pair(transport, {
        server: { implementations, settings: { maxMessageSize: 1024 } },
        client: { settings: { maxMessageSize: 1024 } },
      });
      const error = await rejection(client.dispatch(upload, ['big', [new Uint8Array(10), new Uint8Array(5000)]]));
      expect(error).toMatchObject({ code: 'MESSAGE_TOO_BIG', rpc: 'upload' });
      await stillWorks(client);
      expect(await client.dispatch(upload, ['small', [new Uint8Array(10)]])).toEqual({ name: 'small', bytes: 10, chunks: 1 });
    });

    it("an implementation's result too big to send rejects the call with MESSAGE_TOO_BIG", async () => {
      const grow = Rpc.rpc({ name: 'grow', input: z.number(), output: z.string() });
      const { client } = await h.pair(transport, {
        server: {
          implementations: [Rpc.implement(grow, (n) => 'x'.repeat(n)), ...recorder().implementations],
          settings: { maxMessageSize: 1024 },
        },
      });
      const error = await rejection(client.dispatch(grow, 5000));
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'MESSAGE_TOO_BIG', rpc: 'grow' });
      expect(await client.dispatch(grow, 10)).toBe('xxxxxxxxxx');
      await stillWorks(client);
    });

    it('on receive: a frame header over maxMessageSize disconnects the peer before its body is sent', async () => {
      const server = await h.server(transport, { implementations: recorder().implementations, settings: { maxMessageSize: 1024 } });
      const raw = await h.raw(server.address);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(1025, 0);
      raw.write(header);
      await within(raw.closed, 10_000, 'the server to hang up');
      expect(raw.closeMessage()).toMatchObject({ code: 'MESSAGE_TOO_BIG' });
      expect(raw.closeMessage()?.reason).toContain('1025');
      const client = await h.connect({ address: server.address, settings: { maxMessageSize: 1024 } });
      await stillWorks(client);
    });
  });

  describe('TIMEOUT', () => {
    it('rejects after timeoutMs and aborts the server-side signal', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const started = performance.now();
      const error = await rejection(client.dispatch(hang, undefined, { timeoutMs: 100 }));
      expect(performance.now() - started).toBeGreaterThanOrEqual(95);
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'TIMEOUT', rpc: 'hang' });
      expect(error.message).toContain('100 ms');
      await waitFor(() => seen.aborts.length === 1, 'the server signal to fire');
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      expect((seen.aborts[0] as Error).message).toContain('timed out');
      await stillWorks(client);
    });

    it('bounds a pipe until its stream is accepted, not the stream itself', async () => {
      const slowStart = Rpc.pipe({ name: 'slowStart', input: z.number(), item: z.number() });
      const { client } = await h.pair(transport, {
        server: {
          implementations: [
            ...recorder().implementations,
            Rpc.implement(slowStart, async (delayMs, ctx) => {
              await new Promise((resolve) => setTimeout(resolve, delayMs));
              return (async function* () {
                for (let i = 0; i < 3; i++) {
                  await new Promise((resolve) => setTimeout(resolve, 60));
                  if (ctx.signal.aborted) return;
                  yield i;
                }
              })();
            }),
          ],
        },
      });
      expect(await rejection(client.dispatch(slowStart, 2000, { timeoutMs: 50 }))).toMatchObject({ code: 'TIMEOUT' });
      const items: number[] = [];
      for await (const i of await client.dispatch(slowStart, 0, { timeoutMs: 100 })) items.push(i);
      expect(items).toEqual([0, 1, 2]);
    });
  });

  describe('ABORTED', () => {
    it('aborting the signal rejects the call and aborts the server-side signal', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const controller = new AbortController();
      const pending = client.dispatch(hang, undefined, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user pressed stop')), 50);
      const error = await rejection(pending);
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'ABORTED', rpc: 'hang' });
      expect(error.message).toContain('user pressed stop');
      await waitFor(() => seen.aborts.length === 1, 'the server signal to fire');
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      await stillWorks(client);
    });

    it('an already-aborted signal rejects before anything is sent', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const error = await rejection(client.dispatch(add, [1, 2], { signal: AbortSignal.abort() }));
      expect(error).toMatchObject({ code: 'ABORTED' });
      await stillWorks(client);
      expect(seen.add).toBe(1);
    });

    it('aborting mid-stream fails the stream and stops the server generator (its finally runs)', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const controller = new AbortController();
      const stream = await client.dispatch(ticks, 1_000_000, { signal: controller.signal });
      const got: number[] = [];
      const error = await rejection(
        (async () => {
          for await (const i of stream) {
            got.push(i);
            if (i === 20) controller.abort();
          }
        })(),
      );
      expect(error).toMatchObject({ code: 'ABORTED', rpc: 'ticks' });
      expect(got.slice(0, 21)).toEqual(Array.from({ length: 21 }, (_, i) => i));
      await waitFor(() => seen.finallies === 1, "the generator's finally block");
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      const yielded = seen.yielded;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.yielded).toBe(yielded);
      await stillWorks(client);
    });

    it('break out of a pipe aborts the server generator: its signal fires and its finally runs', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      for await (const i of await client.dispatch(ticks, 1_000_000)) if (i === 15) break;
      await waitFor(() => seen.finallies === 1, "the generator's finally block");
      expect(seen.aborts).toHaveLength(1);
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      expect(seen.yielded).toBeLessThan(1000);
      await stillWorks(client);
      // A stream read to its end runs the finally too, without an abort.
      for await (const i of await client.dispatch(ticks, 3)) void i;
      await waitFor(() => seen.finallies === 2, 'the second finally');
      expect(seen.aborts).toHaveLength(1);
    });

    it("aborting a reverse pipe stops pulling the caller's items (their finally runs) and the server's reading", async () => {
      const sink = Rpc.reversePipe({ name: 'sink', input: z.void(), item: z.number(), output: z.number() });
      const serverSaw: unknown[] = [];
      const { client } = await h.pair(transport, {
        server: {
          implementations: [
            ...recorder().implementations,
            Rpc.implement(sink, async (_, items, ctx) => {
              let n = 0;
              try {
                for await (const _item of items) n++;
              } catch (error) {
                serverSaw.push(error, ctx.signal.aborted);
              }
              return n;
            }),
          ],
        },
      });
      let clientFinally = false;
      const controller = new AbortController();
      async function* items() {
        try {
          for (let i = 0; ; i++) {
            if (i === 100) controller.abort();
            yield i;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        } finally {
          clientFinally = true;
        }
      }
      const error = await rejection(client.dispatch(sink, [undefined, items()], { signal: controller.signal }));
      expect(error).toMatchObject({ code: 'ABORTED', rpc: 'sink' });
      await waitFor(() => clientFinally, "the caller's item source to be closed");
      await waitFor(() => serverSaw.length === 2, 'the server to see the abort');
      expect(serverSaw).toEqual([expect.objectContaining({ code: 'ABORTED' }), true]);
      await stillWorks(client);
    });
  });

  describe('PROTOCOL', () => {
    it('garbage bytes close the connection with PROTOCOL; the server keeps serving', async () => {
      const server = await h.server(transport, { implementations: recorder().implementations });
      const raw = await h.raw(server.address);
      raw.write(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
      await within(raw.closed, 10_000, 'the server to hang up');
      expect(raw.closeMessage()?.code).toBe('PROTOCOL');
      await stillWorks(await h.connect({ address: server.address }));
    });

    it('a client talking to a server that speaks garbage fails to connect with PROTOCOL', async () => {
      const address = await h.rawServer(transport, (peer) => peer.write(Buffer.from([0, 0, 0, 2, 0x92, 0xff])));
      const error = await rejection(h.connect({ address }));
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'PROTOCOL' });
    });
  });
});

describe.each(transports)('RemoteError over %s', (transport) => {
  class QuotaExceeded extends Error {
    override readonly name = 'QuotaExceeded';
    readonly data = { limit: 3 };
  }
  const fail = Rpc.rpc({ name: 'fail', input: z.enum(['sync', 'async', 'custom', 'string', 'object']), output: z.number() });
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
    expect(await rejection(client.dispatch(fail, 'async'))).toMatchObject({ name: 'RemoteError', remoteName: 'RangeError' });
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
    expect(await rejection(client.dispatch(failingState, undefined))).toMatchObject({ name: 'RemoteError', rpc: 'failingState' });
    expect(await rejection(client.dispatch(failingSink, [undefined, [1, 2, 3, 4, 5]]))).toMatchObject({
      name: 'RemoteError',
      rpc: 'failingSink',
    });
    await stillWorks(client);
  });
});
