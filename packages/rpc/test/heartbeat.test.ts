// Heartbeats with real peers: raw sockets that go quiet, child processes that are SIGSTOPped, and the stalled-side
// rule (a side whose own event loop was blocked reads what arrived before judging its peer).
import { describe, expect, it } from 'vitest';
import { Rpc, type Address, type Connection } from '../src/index.js';
import { Kind } from '../src/wire/messages.js';
import { add } from './fixtures/protocol.js';
import { closedWithin, sleep, transports, useHarness, waitFor, within } from './helpers.js';

const h = useHarness();

const fast = { heartbeat: { intervalMs: 50, timeoutMs: 300 } };
// The child's own patience: long enough that the child never gives up on the test process while it blocks.
const patient = { heartbeat: { intervalMs: 50, timeoutMs: 20_000 } };

function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Blocks this process's event loop, as a long synchronous computation would.
  }
}

function expectHeartbeatClose(why: { by: string; reason: string; code?: string }): void {
  expect(why.by).toBe('local');
  expect(why.reason.startsWith('no heartbeat received for')).toBe(true);
  expect(why.reason).toContain('timeout 300 ms');
  expect(why.code).toBe('TIMEOUT');
}

describe.each(transports)('heartbeats over %s', (transport) => {
  it('each side sends one every intervalMs, and a peer that answers only with heartbeats stays connected', async () => {
    const server = await h.server(transport, { implementations: [], settings: fast });
    const raw = await h.raw(server.address);
    await raw.handshake();
    const beat = setInterval(() => raw.send([Kind.Heartbeat]), 50);
    try {
      await sleep(700);
    } finally {
      clearInterval(beat);
    }
    expect(raw.ended).toBe(false);
    expect(raw.messages.filter((m) => m[0] === Kind.Heartbeat).length).toBeGreaterThanOrEqual(4);
    expect(server.activeConnections).toHaveLength(1);
  });

  it('a raw peer that completes the handshake and then goes silent is dropped by the server', async () => {
    let serverSide: Connection | undefined;
    const server = await h.server(transport, {
      implementations: [],
      settings: fast,
      onConnection: (c) => (serverSide = c),
    });
    const raw = await h.raw(server.address);
    await raw.handshake();
    const started = performance.now();
    await waitFor(() => serverSide !== undefined, 'the server side of the connection');
    const why = await closedWithin(serverSide!);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expectHeartbeatClose(why);
    await within(raw.closed, 10_000, 'the socket to close');
    expect(raw.closeMessage()?.reason).toMatch(/^no heartbeat received for/);
  });

  it('a raw server that goes silent after the handshake is dropped by the client', async () => {
    const address = await h.rawServer(transport, (peer) => void peer.handshake().catch(() => undefined));
    const client = await h.connect({ address, settings: fast });
    expectHeartbeatClose(await closedWithin(client));
  });

  it('with heartbeats off, a silent peer is not dropped and none are sent', async () => {
    const server = await h.server(transport, { implementations: [], settings: { heartbeat: false } });
    const raw = await h.raw(server.address);
    await raw.handshake();
    await sleep(400);
    expect(raw.ended).toBe(false);
    expect(raw.messages.some((m) => m[0] === Kind.Heartbeat)).toBe(false);
  });
});

describe('heartbeats with child processes', () => {
  async function childServer(settings: object): Promise<{ pid: number; address: Address }> {
    const child = await h.spawnFixture('serve', { address: h.address('unix'), settings });
    return { pid: child.pid, address: child.ready as Address };
  }

  it('a SIGSTOPped server is declared dead by its client', async () => {
    const { pid, address } = await childServer(fast);
    const client = await h.connect({ address, settings: fast });
    expect(await client.dispatch(add, [1, 2])).toBe(3);
    process.kill(pid, 'SIGSTOP');
    expectHeartbeatClose(await closedWithin(client));
  });

  it('a SIGSTOPped client is declared dead by the server', async () => {
    let serverSide: Connection | undefined;
    const server = await h.server('tcp', {
      implementations: [],
      settings: fast,
      onConnection: (c) => (serverSide = c),
    });
    const child = await h.spawnFixture('connect', { address: server.address, settings: fast });
    await waitFor(() => serverSide !== undefined, 'the child to connect');
    expect(await serverSide!.dispatch(add, [2, 3])).toBe(5);
    process.kill(child.pid, 'SIGSTOP');
    expectHeartbeatClose(await closedWithin(serverSide!));
  });

  it('a client whose own event loop was blocked past the timeout does not declare a live server dead', async () => {
    const { address } = await childServer(patient);
    const client = await h.connect({ address, settings: fast });
    expect(await client.dispatch(add, [1, 2])).toBe(3);
    busyFor(800);
    // Several heartbeat checks run after the block; none may close the connection.
    await sleep(200);
    expect(client.isClosed).toBe(false);
    expect(await client.dispatch(add, [3, 4])).toBe(7);
  });

  it('a server whose own event loop was blocked past the timeout does not declare a live client dead', async () => {
    let serverSide: Connection | undefined;
    const server = await h.server('unix', {
      implementations: [Rpc.implement(add, ([a, b]) => a + b)],
      settings: fast,
      onConnection: (c) => (serverSide = c),
    });
    const child = await h.spawnFixture('connect', { address: server.address, settings: patient });
    await waitFor(() => serverSide !== undefined, 'the child to connect');
    busyFor(800);
    await sleep(200);
    expect(serverSide!.isClosed).toBe(false);
    expect(await serverSide!.dispatch(add, [5, 6])).toBe(11);
    expect(child.lines.some((l) => l.startsWith('CLOSED'))).toBe(false);
  });
});
