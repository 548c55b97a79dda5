// Hostile or broken peers on raw sockets. Each offending connection is closed (with PROTOCOL where the peer can
// still be told why); the server survives and keeps serving a good client in the same test.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RemoteError, Rpc, RpcError, type Connection, type Server } from '../src/index.js';
import { newNonce } from '../src/protocol/handshake.js';
import { Kind, MAGIC, PROTOCOL_VERSION } from '../src/wire/messages.js';
import { add, ticks } from './fixtures/protocol.js';
import { encodeFrame, rejection, transports, useHarness, waitFor, within, type RawPeer } from './helpers.js';

const h = useHarness();

const slowTicks = Rpc.pipe({ name: 'slowTicks', input: z.number(), item: z.number() });

function serving() {
  const seen = { add: 0, started: 0, finished: 0 };
  const implementations = [
    Rpc.implement(add, ([a, b]) => {
      seen.add++;
      return a + b;
    }),
    Rpc.implement(ticks, function* (n) {
      seen.started++;
      try {
        for (let i = 0; i < n; i++) yield i;
      } finally {
        seen.finished++;
      }
    }),
    Rpc.implement(slowTicks, async function* (n) {
      for (let i = 0; i < n; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        yield i;
      }
    }),
  ];
  return { seen, implementations };
}

/** A server, plus a good client that is mid-stream while the hostile peer does its thing. */
async function withGoodClient(transport: 'unix' | 'tcp', settings = {}) {
  const { seen, implementations } = serving();
  const server = await h.server(transport, { implementations, settings });
  const good = await h.connect({ address: server.address, settings });
  const stream = await good.dispatch(slowTicks, 40);
  const streamed = (async () => {
    const got: number[] = [];
    for await (const i of stream) got.push(i);
    return got;
  })();
  const checkGood = async (): Promise<void> => {
    expect(await good.dispatch(add, [2, 3])).toBe(5);
    expect(await within(streamed, 20_000, 'the good stream')).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(good.isClosed).toBe(false);
    // A connection opened after the attack works too.
    const fresh = await h.connect({ address: server.address, settings });
    expect(await fresh.dispatch(add, [1, 1])).toBe(2);
  };
  return { server, seen, checkGood };
}

async function expectHungUp(raw: RawPeer, code?: string): Promise<void> {
  await within(raw.closed, 10_000, 'the server to hang up');
  if (code !== undefined) expect(raw.closeMessage()?.code).toBe(code);
}

async function noLeftovers(server: Server, good = 1): Promise<void> {
  // Only the good client (and the fresh one, if opened) remain: the hostile connection is gone.
  await waitFor(() => server.activeConnections.length <= good, 'the hostile connection to be dropped');
}

describe.each(transports)('hostile input over %s', (transport) => {
  it('random garbage', async () => {
    const { server, checkGood } = await withGoodClient(transport, { maxMessageSize: 1 << 20 });
    for (let i = 0; i < 5; i++) {
      const raw = await h.raw(server.address);
      raw.write(randomBytes(1 + i * 3000));
      raw.end();
      await expectHungUp(raw);
    }
    await noLeftovers(server);
    await checkGood();
  });

  it('a truncated frame, then the socket closes', async () => {
    const { server, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    const hello = encodeFrame([Kind.Hello, MAGIC, PROTOCOL_VERSION, newNonce(), 'truncated']);
    raw.write(hello.subarray(0, hello.length - 7));
    raw.end();
    await expectHungUp(raw);
    await noLeftovers(server);
    await checkGood();
  });

  it('a truncated frame after the handshake, then the socket is destroyed', async () => {
    const { server, seen, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    await raw.handshake();
    const query = encodeFrame([Kind.Query, 1, 'add', 0, [1, 2]]);
    raw.write(query.subarray(0, 6));
    await new Promise((resolve) => setTimeout(resolve, 20));
    raw.destroy();
    await noLeftovers(server);
    expect(seen.add).toBe(0);
    await checkGood();
  });

  it('an oversized length header: disconnected before any body is sent', async () => {
    const { server, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await expectHungUp(raw, 'MESSAGE_TOO_BIG');
    await checkGood();
  });

  it('an empty frame', async () => {
    const { server, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    raw.write(Buffer.from([0, 0, 0, 0]));
    await expectHungUp(raw, 'PROTOCOL');
    await checkGood();
  });

  it('valid frames with the wrong message shape, before and after the handshake', async () => {
    const { server, seen, checkGood } = await withGoodClient(transport);
    const beforeHandshake: unknown[] = [
      { not: 'an array' },
      'a string',
      [],
      [99, 'unknown kind'],
      [Kind.Hello, 1, 2, 3, 4],
      [Kind.Hello, MAGIC, PROTOCOL_VERSION, 'nonce should be bytes', 'x'],
      [Kind.Auth, 'not bytes'],
    ];
    const afterHandshake: unknown[] = [
      [Kind.Query, -1, 'add', 0, [1, 2]],
      [Kind.Query, 1.5, 'add', 0, [1, 2]],
      [Kind.Query, 1, 42, 0, [1, 2]],
      [Kind.Query, 1, 'add', 0],
      [Kind.UpCredit, 1, -5],
      [Kind.UpCredit, 1, Number.POSITIVE_INFINITY],
      [Kind.Error, 1, { type: 'weird' }],
      [Kind.Cancel, 1, 7],
      [Kind.Close, 7, null],
      [Kind.Hello, MAGIC, PROTOCOL_VERSION, newNonce(), 'hello again'],
      [Kind.Menu, [['add', 0]]],
    ];
    for (const message of beforeHandshake) {
      const raw = await h.raw(server.address);
      raw.send(message);
      await expectHungUp(raw, 'PROTOCOL');
    }
    for (const message of afterHandshake) {
      const raw = await h.raw(server.address);
      await raw.handshake();
      raw.send(message);
      await expectHungUp(raw, 'PROTOCOL');
      expect(raw.closeMessage()?.reason).toMatch(/protocol error/);
    }
    expect(seen.add).toBe(0);
    await noLeftovers(server);
    await checkGood();
  });

  it('a well-formed query before the handshake is refused and never runs', async () => {
    const { server, seen, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    raw.send([Kind.Query, 1, 'add', 0, [1, 2]]);
    await expectHungUp(raw, 'PROTOCOL');
    expect(raw.messages.some((m) => m[0] === Kind.Result)).toBe(false);
    expect(seen.add).toBe(0);
    await checkGood();
  });

  it('a call id reused while its call is still running', async () => {
    const { server, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    await raw.handshake();
    raw.send([Kind.Query, 1, 'slowTicks', 0, 1000]);
    raw.send([Kind.Query, 1, 'slowTicks', 0, 1000]);
    await expectHungUp(raw, 'PROTOCOL');
    expect(raw.closeMessage()?.reason).toContain('reused call id 1');
    await checkGood();
  });

  it('frames for calls that do not exist are ignored', async () => {
    const { server, checkGood } = await withGoodClient(transport);
    const raw = await h.raw(server.address);
    await raw.handshake();
    for (const message of [
      [Kind.UpItems, 77, [1, 2, 3]],
      [Kind.UpEnd, 77],
      [Kind.UpCredit, 77, 1000],
      [Kind.Cancel, 77, 'nothing to cancel'],
      [Kind.Result, 77, 'an answer to nothing'],
      [Kind.DownItems, 77, [1]],
      [Kind.Heartbeat],
    ]) {
      raw.send(message);
    }
    raw.send([Kind.Query, 1, 'add', 0, [1, 2]]);
    expect(await raw.next((m) => m[0] === Kind.Result && m[1] === 1, 'the result')).toEqual([Kind.Result, 1, 3]);
    expect(raw.ended).toBe(false);
    await checkGood();
  });

  it('a stream started under the one-way id 0 does not outlive the connection', async () => {
    const { server, seen, checkGood } = await withGoodClient(transport, { streamWindowBytes: 1024 });
    const raw = await h.raw(server.address);
    await raw.handshake();
    // Id 0 is reserved for one-way messages: nothing could ever cancel or credit a stream started with it.
    raw.send([Kind.Query, 0, 'ticks', 0, 1_000_000]);
    raw.send([Kind.Query, 1, 'add', 0, [1, 2]]);
    await raw.next((m) => m[0] === Kind.Result && m[1] === 1, 'a later answer').catch(() => undefined);
    // Let a stream (if the server started one) use up its credit and wait for more.
    await new Promise((resolve) => setTimeout(resolve, 100));
    raw.destroy();
    await noLeftovers(server);
    expect(raw.closeMessage()?.code).toBe('PROTOCOL');
    // No generator may stay suspended once the connection is gone.
    await waitFor(() => seen.finished === seen.started, 'every started generator to be closed', 5_000);
    await checkGood();
  });

  it('many hostile connections at once', async () => {
    const { server, checkGood } = await withGoodClient(transport, { maxMessageSize: 1 << 16 });
    const attacks = Array.from({ length: 20 }, async (_, i) => {
      const raw = await h.raw(server.address);
      if (i % 2 === 0) await raw.handshake();
      raw.write(randomBytes(100 + i * 50));
      raw.end();
      await expectHungUp(raw);
    });
    await Promise.all(attacks);
    await noLeftovers(server);
    await checkGood();
  });
});

describe.each(transports)('a hostile server over %s', (transport) => {
  /** A raw server that completes the handshake offering `add`, then answers each query with `reply(id)`. */
  async function hostileServer(
    reply: (id: number) => unknown[],
  ): Promise<{ address: Parameters<typeof h.connect>[0]['address'] }> {
    const address = await h.rawServer(transport, (peer) => {
      void (async () => {
        await peer.handshake({ menu: [['add', 0]] });
        const query = await peer.nextOfKind(Kind.Query);
        peer.send(reply(query[1] as number));
      })().catch(() => undefined);
    });
    return { address };
  }

  const malformedAnswers: [string, (id: number) => unknown[]][] = [
    [
      'a validation error whose issues are not issues',
      (id) => [Kind.Error, id, { type: 'validation', side: 'input', issues: [5] }],
    ],
    [
      'a validation error whose issues lack paths',
      (id) => [Kind.Error, id, { type: 'validation', side: 'output', issues: [{}] }],
    ],
    [
      'a remote error with a non-string stack',
      (id) => [Kind.Error, id, { type: 'remote', name: 'E', message: 'm', stack: 5 }],
    ],
    [
      'an rpc error with an unknown code',
      (id) => [Kind.Error, id, { type: 'rpc', code: 'NO_SUCH_CODE', message: 'm' }],
    ],
  ];

  it.each(malformedAnswers)('%s: the call settles, it never hangs', async (_name, reply) => {
    const { address } = await hostileServer(reply);
    const client: Connection = await h.connect({ address });
    const error = await within(rejection(client.dispatch(add, [1, 2])), 5_000, 'the call');
    expect(error).toBeInstanceOf(Error);
  });

  it('a server sending stream items beyond the credit it was given is disconnected with PROTOCOL', async () => {
    const address = await h.rawServer(transport, (peer) => {
      void (async () => {
        await peer.handshake({ menu: [['ticks', 0]] });
        const query = await peer.nextOfKind(Kind.Query);
        const id = query[1] as number;
        peer.send([Kind.Result, id, null]);
        for (let i = 0; i < 10; i++) peer.send([Kind.DownItems, id, ['x'.repeat(600)]]);
      })().catch(() => undefined);
    });
    const client = await h.connect({ address, settings: { streamWindowBytes: 1024 } });
    const stream = await client.dispatch(ticks, 10);
    const why = await within(client.closed, 5_000, 'the client to close');
    expect(why).toMatchObject({ by: 'local', code: 'PROTOCOL' });
    expect(why.reason).toContain('credit');
    const drained = (async () => {
      for await (const _ of stream);
    })();
    expect(await rejection(drained)).toBeInstanceOf(RpcError);
  });
});

describe.each(transports)('error answers from a foreign server over %s', (transport) => {
  /** A hand-written server that answers the first `add` with the Error message `payload`. */
  async function answeringWith(payload: unknown): Promise<{ client: Connection; raw: () => RawPeer | undefined }> {
    let peer: RawPeer | undefined;
    const address = await h.rawServer(transport, (raw) => {
      peer = raw;
      void (async () => {
        await raw.handshake({ role: 'server', menu: [['add', 0]] });
        const query = await raw.nextOfKind(Kind.Query, 'the query');
        raw.send([Kind.Error, query[1], payload]);
      })().catch(() => undefined);
    });
    return { client: await h.connect({ address }), raw: () => peer };
  }

  it('a well-formed rich error is rebuilt whole, as from a Cohort peer', async () => {
    const { client } = await answeringWith({
      type: 'remote',
      name: 'QuotaError',
      message: 'over quota',
      stack: 'QuotaError: over quota\n    at somewhere (remote.js:1:1)',
      code: 'E_QUOTA',
      fields: { limit: 42 },
      cause: { type: 'remote', name: 'TypeError', message: 'inner', cause: { type: 'value', value: [1, 2] } },
      errors: [{ type: 'value', value: 'x' }],
    });
    const error = await rejection(client.dispatch(add, [1, 2]));
    expect(error).toBeInstanceOf(RemoteError);
    const remote = error as RemoteError;
    expect(remote).toMatchObject({ remoteName: 'QuotaError', remoteMessage: 'over quota', remoteCode: 'E_QUOTA' });
    expect(remote.remoteFields['limit']).toBe(42);
    const cause = remote.cause as AggregateError & { limit: number };
    expect(cause).toBeInstanceOf(AggregateError);
    expect(cause.name).toBe('QuotaError');
    expect(cause.stack).toBe('QuotaError: over quota\n    at somewhere (remote.js:1:1)');
    expect(cause.limit).toBe(42);
    expect(cause.errors).toEqual(['x']);
    expect(Object.getPrototypeOf(cause)).toBe(AggregateError.prototype);
    expect(cause.cause).toBeInstanceOf(TypeError);
    expect((cause.cause as TypeError).cause).toEqual([1, 2]);
    expect(client.isClosed).toBe(false);
  });

  it.each([
    ['a cause that is not a nested error', { type: 'remote', name: 'E', message: 'm', cause: 'bare' }],
    ['a code that is an object', { type: 'remote', name: 'E', message: 'm', code: {} }],
    ['fields that are a list', { type: 'remote', name: 'E', message: 'm', fields: [] }],
    [
      'errors nested 100 deep',
      Array.from({ length: 100 }).reduce<unknown>((cause) => ({ type: 'remote', name: 'E', message: 'm', cause }), {
        type: 'value',
        value: 0,
      }),
    ],
  ])('%s closes the connection with PROTOCOL; the call fails, nothing throws', async (_what, payload) => {
    const { client, raw } = await answeringWith(payload);
    const error = await rejection(client.dispatch(add, [1, 2]));
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(await client.closed).toMatchObject({ by: 'local', code: 'PROTOCOL' });
    await expectHungUp(raw()!, 'PROTOCOL');
    expect(raw()!.closeMessage()?.reason).toMatch(/protocol error: .*(remote error|nested)/);
  });
});
