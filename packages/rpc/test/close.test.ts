// Closing: who closed and why, on both sides; pending calls and running implementations on both sides end.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, RpcError, type Address, type AnyImplementation } from '../src/index.js';
import { add, hang } from './fixtures/protocol.js';
import { closedWithin, rejection, transports, useHarness, waitFor, within } from './helpers.js';

const h = useHarness();

const drip = Rpc.pipe({ name: 'drip', input: z.void(), item: z.number() });
const swallow = Rpc.reversePipe({ name: 'swallow', input: z.void(), item: z.number(), output: z.number() });

/** Implementations (served by both sides) that stay running until told to stop, recording how they ended. */
function lingering() {
  const ended: string[] = [];
  let started = 0;
  const implementations: AnyImplementation[] = [
    Rpc.implement(add, ([a, b]) => a + b),
    Rpc.implement(hang, (_, ctx) => {
      started++;
      return new Promise<string>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          const reason = ctx.signal.reason as RpcError;
          ended.push(`hang: ${reason.code}`);
          resolve('never seen');
        });
      });
    }),
    Rpc.implement(drip, async function* (_, ctx) {
      try {
        for (let i = 0; ; i++) {
          yield i;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        ended.push(`drip: ${ctx.signal.aborted ? (ctx.signal.reason as RpcError).code : 'not aborted'}`);
      }
    }),
    Rpc.implement(swallow, async (_, items) => {
      started++;
      try {
        for await (const _item of items);
        return 0;
      } catch (error) {
        ended.push(`swallow: ${(error as RpcError).code}`);
        throw error;
      }
    }),
  ];
  return { ended, implementations, started: () => started };
}

async function* forever() {
  for (let i = 0; ; i++) {
    yield i;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(transports)('closing over %s', (transport) => {
  it("close('why') is local on this side and remote with the same reason on the other", async () => {
    const { client, serverSide } = await h.pair(transport);
    await client.close('why');
    expect(await client.closed).toEqual({ by: 'local', reason: 'why' });
    expect(await closedWithin(serverSide)).toEqual({ by: 'remote', reason: 'why' });
    expect(client.isClosed && serverSide.isClosed).toBe(true);
  });

  it('the server side can close too, and closing twice changes nothing', async () => {
    const { client, serverSide } = await h.pair(transport);
    await serverSide.close('server says bye');
    await serverSide.close('again');
    expect(await serverSide.closed).toEqual({ by: 'local', reason: 'server says bye' });
    expect(await closedWithin(client)).toEqual({ by: 'remote', reason: 'server says bye' });
    await client.close('late');
    expect(await client.closed).toEqual({ by: 'remote', reason: 'server says bye' });
  });

  it('a socket destroyed under the connection closes it by the remote side', async () => {
    let serverSideClosed: Promise<unknown> | undefined;
    const server = await h.server(transport, {
      implementations: [],
      onConnection: (c) => (serverSideClosed = c.closed),
    });
    const raw = await h.raw(server.address);
    await raw.handshake();
    await waitFor(() => serverSideClosed !== undefined, 'the connection');
    raw.destroy();
    const why = (await within(serverSideClosed!, 10_000, 'the close')) as { by: string; reason: string };
    expect(why.by).toBe('remote');
    expect(why.reason).toMatch(/closed the socket|socket closed|socket error/);
  });

  it('pending calls, streams and running implementations end on both sides when either side closes', async () => {
    const clientSide = lingering();
    const serverSide$ = lingering();
    const { client, serverSide } = await h.pair(transport, {
      server: { implementations: serverSide$.implementations },
      client: { implementations: clientSide.implementations },
    });
    // Calls in flight in both directions, of each long-running kind.
    const pending = [
      rejection(client.dispatch(hang, undefined)),
      rejection(serverSide.dispatch(hang, undefined)),
      rejection(client.dispatch(swallow, [undefined, forever()])),
      rejection(serverSide.dispatch(swallow, [undefined, forever()])),
    ];
    const clientStream = await client.dispatch(drip, undefined);
    const serverStream = await serverSide.dispatch(drip, undefined);
    await clientStream.next();
    await serverStream.next();
    const drained = [clientStream, serverStream].map((s) =>
      rejection(
        (async () => {
          for await (const _ of s);
        })(),
      ),
    );
    await waitFor(() => clientSide.started() === 2 && serverSide$.started() === 2, 'every call to be running');

    await client.close('closing everything');

    for (const error of await Promise.all([...pending, ...drained])) {
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe('CONNECTION_CLOSED');
      expect(error.message).toContain('closing everything');
    }
    // Every implementation on both sides saw its signal fire with CONNECTION_CLOSED.
    const expected = ['drip: CONNECTION_CLOSED', 'hang: CONNECTION_CLOSED', 'swallow: CONNECTION_CLOSED'];
    await waitFor(() => serverSide$.ended.length === 3 && clientSide.ended.length === 3, 'every implementation to end');
    expect([...serverSide$.ended].sort()).toEqual(expected);
    expect([...clientSide.ended].sort()).toEqual(expected);
  });

  it('server.close closes every connection with its reason and stops accepting', async () => {
    const { server, client } = await h.pair(transport, {
      server: { implementations: [Rpc.implement(add, ([a, b]) => a + b)] },
    });
    const second = await h.connect({ address: server.address });
    await server.close('maintenance window');
    expect(await closedWithin(client)).toEqual({ by: 'remote', reason: 'maintenance window' });
    expect(await closedWithin(second)).toEqual({ by: 'remote', reason: 'maintenance window' });
    expect(server.activeConnections).toHaveLength(0);
    expect(await rejection(h.connect({ address: server.address as Address }))).toMatchObject({
      code: 'HANDSHAKE_FAILED',
    });
  });
});

describe('a peer process that dies', () => {
  it('SIGKILL of the server process closes the client by the remote side and fails its pending call', async () => {
    const child = await h.spawnFixture('serve', { address: h.address('tcp') });
    const client = await h.connect({ address: child.ready as Address });
    expect(await client.dispatch(add, [1, 1])).toBe(2);
    const stream = await client.dispatch(
      Rpc.pipe({ name: 'ticks', input: z.number().int().nonnegative(), item: z.number() }),
      1_000_000_000,
    );
    const drained = rejection(
      (async () => {
        for await (const _ of stream);
      })(),
    );
    process.kill(child.pid, 'SIGKILL');
    const why = await closedWithin(client);
    expect(why.by).toBe('remote');
    expect(await drained).toMatchObject({ code: 'CONNECTION_CLOSED' });
    await within(child.exited, 10_000, 'the child to exit');
  });
});
