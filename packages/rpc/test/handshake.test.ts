// The handshake: HANDSHAKE_FAILED (silence, no listener, wrong protocol) and AUTH_FAILED (secrets), with proof
// that no implementation runs for a peer that did not complete it.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Rpc, RpcError, type Connection } from '../src/index.js';
import { authProof, newNonce } from '../src/protocol/handshake.js';
import { Kind, MAGIC, PROTOCOL_VERSION } from '../src/wire/messages.js';
import { add } from './fixtures/protocol.js';
import { encodeFrame, rejection, transports, useHarness, within } from './helpers.js';

const h = useHarness();

function countingServer() {
  const state = { calls: 0, connections: [] as Connection[] };
  const options = {
    implementations: [
      Rpc.implement(add, ([a, b]) => {
        state.calls++;
        return a + b;
      }),
    ],
    onConnection: (c: Connection) => void state.connections.push(c),
  };
  return { state, options };
}

describe.each(transports)('HANDSHAKE_FAILED over %s', (transport) => {
  it('a server that says nothing makes connect fail after handshakeTimeoutMs', async () => {
    const address = await h.rawServer(transport, () => undefined);
    const started = performance.now();
    const error = await rejection(h.connect({ address, settings: { handshakeTimeoutMs: 200 } }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain('200 ms');
  });

  it('a client that says nothing is dropped by the server after handshakeTimeoutMs', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, { ...options, settings: { handshakeTimeoutMs: 200 } });
    const raw = await h.raw(server.address);
    await within(raw.closed, 10_000, 'the server to drop the silent client');
    expect(raw.closeMessage()).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(state.connections).toHaveLength(0);
    expect(server.activeConnections).toHaveLength(0);
  });

  it('nothing listening: connect fails with HANDSHAKE_FAILED', async () => {
    let address;
    if (transport === 'unix') address = { path: `${h.dir()}/nobody-here.sock` };
    else {
      // A port that was free a moment ago and is closed now.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as { port: number }).port;
      await new Promise((resolve) => probe.close(resolve));
      address = { host: '127.0.0.1', port };
    }
    const error = await rejection(h.connect({ address }));
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain('could not connect');
  });

  it('a peer speaking another protocol version is refused', async () => {
    const address = await h.rawServer(transport, (peer) => {
      peer.send([Kind.Hello, MAGIC, PROTOCOL_VERSION + 1, newNonce(), 'from the future']);
    });
    const error = await rejection(h.connect({ address }));
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain(`version ${PROTOCOL_VERSION + 1}`);
  });

  it('a peer with the wrong magic is refused with PROTOCOL', async () => {
    const address = await h.rawServer(transport, (peer) =>
      peer.send([Kind.Hello, 'not-cohort', PROTOCOL_VERSION, newNonce(), 'x']),
    );
    expect(await rejection(h.connect({ address }))).toMatchObject({ code: 'PROTOCOL' });
  });

  it('aborting connect during the handshake rejects with ABORTED', async () => {
    const address = await h.rawServer(transport, () => undefined);
    const error = await rejection(h.connect({ address, signal: AbortSignal.timeout(100) }));
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: 'ABORTED' });
  });
});

describe.each(transports)('AUTH_FAILED over %s', (transport) => {
  it('a wrong secret is refused on both sides and the implementation never runs', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, { ...options, secret: 'right' });
    const error = await rejection(h.connect({ address: server.address, secret: 'wrong' }));
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(error.message).toContain('secret');
    expect(state.connections).toHaveLength(0);
    expect(state.calls).toBe(0);
    const good = await h.connect({ address: server.address, secret: 'right' });
    expect(await good.dispatch(add, [1, 2])).toBe(3);
  });

  it('a client without the secret is refused', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, { ...options, secret: 'right' });
    expect(await rejection(h.connect({ address: server.address }))).toMatchObject({ code: 'AUTH_FAILED' });
    expect(state.connections).toHaveLength(0);
  });

  it('a client with a secret refuses a server that cannot prove it', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, options);
    expect(await rejection(h.connect({ address: server.address, secret: 'mine' }))).toMatchObject({
      code: 'AUTH_FAILED',
    });
    expect(state.calls).toBe(0);
  });

  it('a secret given as bytes is the same secret as its UTF-8 text', async () => {
    const { options } = countingServer();
    const server = await h.server(transport, { ...options, secret: 'sésame' });
    const conn = await h.connect({ address: server.address, secret: Buffer.from('sésame', 'utf8') });
    expect(await conn.dispatch(add, [2, 2])).toBe(4);
  });

  it('a raw peer with a bad proof that pipelines a query right behind it never gets the query run', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, { ...options, secret: 'right' });
    const raw = await h.raw(server.address);
    const nonce = newNonce();
    // A server speaks once the client's first byte has said plain or TLS: the client's Hello goes first.
    raw.send([Kind.Hello, MAGIC, PROTOCOL_VERSION, nonce, 'intruder']);
    const hello = await raw.nextOfKind(Kind.Hello);
    raw.write(
      Buffer.concat([
        encodeFrame([Kind.Auth, authProof('guess', 'client', hello[3] as Uint8Array, nonce)]),
        encodeFrame([Kind.Menu, []]),
        encodeFrame([Kind.Query, 1, 'add', 0, [1, 2]]),
      ]),
    );
    await within(raw.closed, 10_000, 'the server to hang up');
    expect(raw.closeMessage()).toMatchObject({ code: 'AUTH_FAILED' });
    expect(raw.messages.some((m) => m[0] === Kind.Result)).toBe(false);
    expect(state.calls).toBe(0);
  });

  it('a raw peer that proves the secret by hand is served (the helper speaks the real protocol)', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, { ...options, secret: 'right' });
    const raw = await h.raw(server.address);
    await raw.handshake({ secret: 'right' });
    raw.send([Kind.Query, 1, 'add', 0, [1, 2]]);
    expect(await raw.next((m) => m[0] === Kind.Result, 'the result')).toEqual([Kind.Result, 1, 3]);
    expect(state.calls).toBe(1);
  });

  it('a proof made for the other role (a reflected proof) is refused', async () => {
    const { state, options } = countingServer();
    const server = await h.server(transport, { ...options, secret: 'right' });
    const raw = await h.raw(server.address);
    await rejection(raw.handshake({ secret: 'right', role: 'server' }));
    await within(raw.closed, 10_000, 'the server to hang up');
    expect(raw.closeMessage()).toMatchObject({ code: 'AUTH_FAILED' });
    expect(state.calls).toBe(0);
  });
});

describe.each(transports)('menus over %s', (transport) => {
  it('each side learns what the other serves', async () => {
    const { client, serverSide } = await h.pair(transport, {
      server: { implementations: [Rpc.implement(add, ([a, b]) => a + b)] },
    });
    expect(client.implements(add)).toBe(true);
    expect(serverSide.implements(add)).toBe(false);
  });
});
