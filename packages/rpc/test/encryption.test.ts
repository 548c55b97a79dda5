// Encryption: TLS 1.3 keyed from the secret, chosen by the client (`'auto'`: TCP to a non-loopback address) and
// followed by the server, which tells a ClientHello from a plain Hello by its first byte. A relay in the middle
// records the wire, proving what an eavesdropper reads, and flips a bit, proving that an altered stream closes
// both ends with a clear reason and that nothing hangs.
import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import {
  Connection,
  Rpc,
  RpcError,
  Server,
  resolveRpcSettings,
  type Encryption,
  type RpcSettings,
} from '../src/index.js';
import { Kind } from '../src/wire/messages.js';
import { add, book, echo, note, slow, ticks, upload } from './fixtures/protocol.js';
import { closedWithin, rejection, sleep, transports, useHarness, waitFor, within, type Pair } from './helpers.js';
import { nonLoopbackAddress, startRelay, type Relay } from './relay.js';

const h = useHarness();
const secret = 'the app secret';
const remote = nonLoopbackAddress();
const noRemote = 'this machine has no non-loopback IPv4 address to connect to';

/** Written into calls: readable on the wire when the connection is plain, nowhere when it is encrypted. */
const MARKER = 'MARKER-7f3c9e-cohort';

const relays: Relay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

async function relay(host: string, target: { host: string; port: number } | { path: string }): Promise<Relay> {
  const started = await startRelay(host, target);
  relays.push(started);
  return started;
}

/** What the five kinds need, the marker echoed back in each. */
function implementations(calls: { count: number } = { count: 0 }) {
  return [
    Rpc.implement(add, ([a, b]) => {
      calls.count++;
      return a + b;
    }),
    Rpc.implement(echo, (bytes) => bytes),
    Rpc.implement(ticks, function* (n) {
      for (let i = 0; i < n; i++) yield i;
    }),
    Rpc.implement(book, (title) => ({ state: { title, lines: [] }, updates: [{ line: `${title} 1` }] })),
    Rpc.implement(note, () => undefined),
    Rpc.implement(upload, async (name, items) => {
      let bytes = 0;
      let chunks = 0;
      for await (const chunk of items) {
        bytes += chunk.length;
        chunks++;
      }
      return { name, bytes, chunks };
    }),
  ];
}

/** A server on `host` behind a relay on `relayHost`, and a client connected through the relay. */
async function pairThroughRelay(
  relayHost: string,
  client: RpcSettings,
  server: RpcSettings = {},
  calls: { count: number } = { count: 0 },
): Promise<Pair & { relay: Relay }> {
  const serverSides: Connection[] = [];
  const listening = await h.server('tcp', {
    secret,
    settings: server,
    implementations: implementations(calls),
    onConnection: (c) => void serverSides.push(c),
  });
  const middle = await relay(relayHost, listening.address as { host: string; port: number });
  const connection = await h.connect({ address: middle.address, secret, settings: client });
  await waitFor(() => serverSides.length === 1, 'the server side of the connection');
  return { server: listening, client: connection, serverSide: serverSides[0]!, relay: middle };
}

/** The marker in an input one way and in a result the other, through every kind. */
async function exchangeMarkers(client: Connection): Promise<void> {
  const bytes = new TextEncoder().encode(`${MARKER}-echo`);
  expect(Buffer.from(await client.dispatch(echo, bytes)).toString()).toBe(`${MARKER}-echo`);
  const { state, updates } = await client.dispatch(book, MARKER);
  expect(state.title).toBe(MARKER);
  for await (const update of updates) expect(update.line).toBe(`${MARKER} 1`);
  expect(await client.dispatch(upload, [MARKER, [new Uint8Array(10)]])).toEqual({ name: MARKER, bytes: 10, chunks: 1 });
  await client.dispatch(note, MARKER);
  const items: number[] = [];
  for await (const i of await client.dispatch(ticks, 3)) items.push(i);
  expect(items).toEqual([0, 1, 2]);
}

const onWire = (relay: Relay): string => relay.bytes('up').toString('latin1') + relay.bytes('down').toString('latin1');

describe('the encryption setting', () => {
  it("is 'auto' by default, takes 'always' and 'never', and refuses anything else naming the field", () => {
    expect(resolveRpcSettings().encryption).toBe('auto');
    for (const value of ['always', 'never', 'auto'] as const)
      expect(resolveRpcSettings({ encryption: value }).encryption).toBe(value);
    expect(() => resolveRpcSettings({ encryption: 'yes' as Encryption })).toThrow(/encryption/);
  });

  it('COHORT_RPC_SETTINGS overrides it, like any setting', () => {
    const before = process.env.COHORT_RPC_SETTINGS;
    process.env.COHORT_RPC_SETTINGS = '{"encryption":"never"}';
    try {
      expect(resolveRpcSettings({ encryption: 'always' }).encryption).toBe('never');
    } finally {
      if (before === undefined) delete process.env.COHORT_RPC_SETTINGS;
      else process.env.COHORT_RPC_SETTINGS = before;
    }
  });

  it("'always' without a secret is a TypeError where it is given: the key is derived from the secret", async () => {
    const server = await h.server('tcp', { implementations: [] });
    await expect(Connection.connect({ address: server.address, settings: { encryption: 'always' } })).rejects.toThrow(
      TypeError,
    );
    await expect(h.server('tcp', { implementations: [], settings: { encryption: 'always' } })).rejects.toThrow(
      /needs a secret/,
    );
  });
});

describe("'auto' stays plain on this machine", () => {
  it.each(transports)('over %s: not encrypted on either side', async (transport) => {
    const { client, serverSide } = await h.pair(transport, {
      server: { secret, implementations: implementations() },
      client: { secret },
    });
    expect([client.encrypted, serverSide.encrypted]).toEqual([false, false]);
    expect(await client.dispatch(add, [1, 2])).toBe(3);
  });

  it('over TCP to 127.0.0.1: the calls are readable on the wire', async () => {
    const { client, relay: middle } = await pairThroughRelay('127.0.0.1', {});
    await exchangeMarkers(client);
    expect(onWire(middle)).toContain(MARKER);
  });
});

describe.skipIf(remote === undefined)(`'auto' encrypts TCP to a non-loopback address (${remote ?? noRemote})`, () => {
  it('both sides are encrypted; no call, result, item or one-way message can be read on the wire', async () => {
    const { client, serverSide, relay: middle } = await pairThroughRelay(remote!, {});
    expect([client.encrypted, serverSide.encrypted]).toEqual([true, true]);
    await exchangeMarkers(client);
    const wire = onWire(middle);
    expect(wire.length).toBeGreaterThan(1000);
    expect(wire).not.toContain(MARKER);
    // Not even the handshake's descriptions: the Cohort protocol runs entirely inside TLS, whose ClientHello shows
    // only the fixed PSK identity.
    expect(wire).not.toContain(`process ${process.pid}`);
    expect(wire).toContain('cohort-rpc/1');
    // The first byte is a TLS handshake record's.
    expect(middle.bytes('up')[0]).toBe(0x16);
  });

  it("a client with 'never' stays plain, and a server with 'auto' takes it", async () => {
    const { client, serverSide, relay: middle } = await pairThroughRelay(remote!, { encryption: 'never' });
    expect([client.encrypted, serverSide.encrypted]).toEqual([false, false]);
    await exchangeMarkers(client);
    expect(onWire(middle)).toContain(MARKER);
  });

  it('a big message and a long stream cross intact (records are reassembled, credit still flows)', async () => {
    const { client } = await pairThroughRelay(remote!, { streamWindowBytes: 4096 }, { streamWindowBytes: 4096 });
    const payload = new Uint8Array(8 * 1024 * 1024).map((_, i) => i % 251);
    expect(Buffer.from(await client.dispatch(echo, payload)).equals(Buffer.from(payload))).toBe(true);
    let sum = 0;
    for await (const i of await client.dispatch(ticks, 10_000)) sum += i;
    expect(sum).toBe((10_000 * 9_999) / 2);
  });

  it('a client with another secret is refused with AUTH_FAILED by TLS itself, and nothing runs', async () => {
    const calls = { count: 0 };
    const server = await Server.listen({
      address: { host: remote!, port: 0 },
      secret,
      implementations: implementations(calls),
    });
    h.defer(() => server.close());
    const error = await rejection(h.connect({ address: server.address, secret: 'another secret' }));
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(error.message).toMatch(/does not know the shared secret \(its TLS handshake failed: /);
    expect(server.activeConnections).toHaveLength(0);
    expect(calls.count).toBe(0);
  });
});

describe("'always'", () => {
  it.each(transports)('encrypts over %s too, and nothing can be read on the wire', async (transport) => {
    const { client, serverSide } = await h.pair(transport, {
      server: { secret, implementations: implementations() },
      client: { secret, settings: { encryption: 'always' } },
    });
    expect([client.encrypted, serverSide.encrypted]).toEqual([true, true]);
    await exchangeMarkers(client);
  });

  it('over TCP to 127.0.0.1: nothing readable on the wire', async () => {
    const { client, relay: middle } = await pairThroughRelay('127.0.0.1', { encryption: 'always' });
    await exchangeMarkers(client);
    expect(onWire(middle)).not.toContain(MARKER);
  });

  it('on a server refuses a plain client, telling it why in plain; no connection is made', async () => {
    const server = await h.server('tcp', {
      secret,
      implementations: implementations(),
      settings: { encryption: 'always' },
    });
    const error = await rejection(h.connect({ address: server.address, secret }));
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain(
      'the server accepts only encrypted connections (its encryption setting is "always")',
    );
    expect(server.activeConnections).toHaveLength(0);
  });
});

describe('a server that cannot decrypt', () => {
  it.each([
    ['its encryption setting is never', { settings: { encryption: 'never' as const }, secret }],
    ['it has no secret', {}],
  ])('refuses an encrypted client when %s, and the client says so', async (_why, serverOptions) => {
    const server = await h.server('tcp', { implementations: implementations(), ...serverOptions });
    const error = await rejection(h.connect({ address: server.address, secret, settings: { encryption: 'always' } }));
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain('does not accept encrypted connections');
    expect(server.activeConnections).toHaveLength(0);
  });
});

describe("holdProcess: 'while-busy' over TLS", () => {
  it('an idle client program ends by itself; one awaiting a slow call lives until its result', async () => {
    const server = await h.server('tcp', {
      secret,
      implementations: [
        Rpc.implement(slow, async (ms) => {
          await sleep(ms);
          return `done after ${ms}`;
        }),
      ],
    });
    for (const [action, lines] of [
      ['idle', ['READY {}', 'EXIT 0']],
      ['slow-call', ['READY {}', 'RESULT done after 500', 'EXIT 0']],
    ] as const) {
      const child = await h.spawnFixture('hold', {
        address: server.address,
        holdProcess: 'while-busy',
        action,
        ms: 500,
        secret,
        encryption: 'always',
      });
      const { code, signal } = await within(child.exited, 30_000, `the ${action} client program to end by itself`);
      expect({ code, signal, stderr: child.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
      expect(child.lines.filter((line) => line !== '').map((line) => line.replace(/ @\d+$/, ''))).toEqual(lines);
    }
  });
});

describe('handshake deadlines and closing', () => {
  it('a server that never answers the ClientHello fails connect after handshakeTimeoutMs', async () => {
    const address = await h.rawServer('tcp', () => undefined);
    const error = await rejection(
      h.connect({ address, secret, settings: { encryption: 'always', handshakeTimeoutMs: 200 } }),
    );
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain('TLS handshake');
    expect(error.message).toContain('200 ms');
  });

  it('a client stuck in its TLS handshake is dropped after handshakeTimeoutMs, and by close()', async () => {
    for (const how of ['timeout', 'close'] as const) {
      const server = await h.server('tcp', {
        secret,
        implementations: [],
        settings: { handshakeTimeoutMs: how === 'timeout' ? 200 : 60_000 },
      });
      const { host, port } = server.address as { host: string; port: number };
      const socket = netConnect({ host, port });
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      // The first bytes of a ClientHello record header, then silence.
      socket.write(Buffer.from([0x16, 0x03, 0x01]));
      if (how === 'close') {
        await waitFor(() => socket.bytesWritten === 3, 'the bytes to leave');
        await within(server.close(), 10_000, 'server.close() with a client in its TLS handshake');
      }
      await within(closed, 10_000, `the stuck client to be dropped (${how})`);
    }
  });
});

describe('a stream altered on its way', () => {
  describe.each(['up', 'down'] as const)('one bit flipped %s', (direction) => {
    it('closes both ends with PROTOCOL and a reason that says so; the pending call fails; nothing hangs', async () => {
      const calls = { count: 0 };
      const host = remote ?? '127.0.0.1';
      const { client, serverSide, relay: middle } = await pairThroughRelay(host, { encryption: 'always' }, {}, calls);
      expect(await client.dispatch(add, [1, 2])).toBe(3);
      middle.flipNext(direction);
      const error = await within(rejection(client.dispatch(add, [40, 2])), 10_000, 'the altered call to fail');
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
      const [clientWhy, serverWhy] = await Promise.all([closedWithin(client), closedWithin(serverSide)]);
      // The side that received the altered record finds it; the other hears of it from its TLS alert.
      const [finder, told] = direction === 'up' ? [serverWhy, clientWhy] : [clientWhy, serverWhy];
      expect(finder).toMatchObject({ by: 'local', code: 'PROTOCOL' });
      expect(finder.reason).toMatch(
        /the encrypted stream failed its integrity check, its bytes were altered on the way \(TLS: /,
      );
      expect(told).toMatchObject({ by: 'remote', code: 'PROTOCOL' });
      expect(told.reason).toMatch(/the peer found the encrypted stream altered on its way and closed it \(TLS alert: /);
      expect(error.message).toContain(clientWhy.reason);
      // An altered query never reaches its handler.
      if (direction === 'up') expect(calls.count).toBe(1);
      // Both sockets are closed: the relay's two ends included.
      await waitFor(() => middle.openSockets() === 0, 'the relay to see both ends close');
    });
  });
});

describe('the wire inside', () => {
  it('is the same protocol: a plain raw client still goes first, and its Hello is answered', async () => {
    const server = await h.server('tcp', { secret, implementations: implementations() });
    const raw = await h.raw(server.address);
    const menu = await raw.handshake({ secret });
    expect(menu[0]).toBe(Kind.Menu);
  });
});
