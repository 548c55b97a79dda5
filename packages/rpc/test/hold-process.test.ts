// `holdProcess`: with 'while-busy' a connection's socket keeps the process alive only while something is in flight.
// Client programs in child processes that simply end (or do not) prove it end to end; the ref state of a socket in
// this process proves it for each kind of call, without waiting for anything to (not) happen.
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import pDefer from 'p-defer';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Connection, Rpc, type Address, type AnyImplementation, type ConnectionOptions } from '../src/index.js';
import { callMeBack, slow, slowTicks, work } from './fixtures/protocol.js';
import { isAlive, sleep, transports, useHarness, waitFor, within, type Child, type Transport } from './helpers.js';

const h = useHarness();

// ---------------------------------------------------------------------------------------------------------------
// Client programs that end by themselves, or not

/** The server the client programs talk to; `calledBack` settles with the client's answer to `work`. */
async function programServer(transport: Transport) {
  const calledBack = pDefer<string>();
  const server = await h.server(transport, {
    implementations: [
      Rpc.implement(slow, async (ms) => {
        await sleep(ms);
        return `done after ${ms}`;
      }),
      Rpc.implement(slowTicks, async function* ({ n, everyMs }) {
        for (let i = 0; i < n; i++) {
          await sleep(everyMs);
          yield i;
        }
      }),
      Rpc.implement(callMeBack, (ms, ctx) => {
        // Dispatched before this call is answered, so the client receives the call before the answer.
        ctx.connection.dispatch(work, ms).then(calledBack.resolve, calledBack.reject);
        return null;
      }),
    ],
  });
  return { server, calledBack: calledBack.promise };
}

/** Waits for the program to end by itself, then for its `EXIT` line; checks its pid is gone. */
async function endsByItself(child: Child): Promise<string[]> {
  const { code, signal } = await within(child.exited, 30_000, `client program pid ${child.pid} to end by itself`);
  expect({ code, signal, stderr: child.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
  await waitFor(() => child.lines.some((line) => line.startsWith('EXIT ')), 'its EXIT line');
  await waitFor(() => !isAlive(child.pid), `pid ${child.pid} to be gone`);
  return child.lines.map((line) => line.replace(/ @\d+$/, ''));
}

/** The `@<ms>` a line ends with: the program's milliseconds since READY. */
const msOf = (child: Child, prefix: string): number =>
  Number(
    child.lines
      .find((line) => line.startsWith(prefix))
      ?.split('@')
      .pop(),
  );

describe("client programs with holdProcess: 'while-busy'", () => {
  it.each(transports)(
    'an idle one ends by itself, though its heartbeat timers fire every 50 ms (%s)',
    async (transport) => {
      const { server } = await programServer(transport);
      const child = await h.spawnFixture('hold', {
        address: server.address,
        holdProcess: 'while-busy',
        action: 'idle',
      });
      expect(await endsByItself(child)).toEqual(['READY {}', 'EXIT 0']);
      // Its handshake and heartbeat timeouts are 120 s: no timer ended it.
      expect(msOf(child, 'EXIT')).toBeLessThan(20_000);
    },
  );

  it('one awaiting a slow call lives until the result arrives, prints it, then ends', async () => {
    const { server } = await programServer('unix');
    const child = await h.spawnFixture('hold', {
      address: server.address,
      holdProcess: 'while-busy',
      action: 'slow-call',
      ms: 1000,
    });
    expect(await endsByItself(child)).toEqual(['READY {}', 'RESULT done after 1000', 'EXIT 0']);
    expect(msOf(child, 'RESULT')).toBeGreaterThanOrEqual(990);
  });

  it('one iterating a slow pipe lives until the stream ends, then ends', async () => {
    const { server } = await programServer('unix');
    const child = await h.spawnFixture('hold', {
      address: server.address,
      holdProcess: 'while-busy',
      action: 'slow-pipe',
      ms: 200,
    });
    expect(await endsByItself(child)).toEqual([
      'READY {}',
      'ITEM 0',
      'ITEM 1',
      'ITEM 2',
      'ITEM 3',
      'ITEM 4',
      'DONE',
      'EXIT 0',
    ]);
    expect(msOf(child, 'DONE')).toBeGreaterThanOrEqual(990);
  });

  it('one serving a call from its peer lives until it has answered, then ends', async () => {
    const { server, calledBack } = await programServer('unix');
    const child = await h.spawnFixture('hold', {
      address: server.address,
      holdProcess: 'while-busy',
      action: 'serve',
      ms: 1000,
    });
    expect(await within(calledBack, 30_000, 'the answer to work')).toBe('worked');
    // The call it made was answered at once; only the call it served (waiting on an unref'd timer) held it.
    expect(await endsByItself(child)).toEqual(['READY {}', 'WORKING', 'CALLED BACK', 'WORKED', 'EXIT 0']);
    expect(msOf(child, 'WORKED')).toBeGreaterThanOrEqual(990);
  });

  it('one closing its connection sees close() through, then ends', async () => {
    const { server } = await programServer('unix');
    const child = await h.spawnFixture('hold', { address: server.address, holdProcess: 'while-busy', action: 'close' });
    expect(await endsByItself(child)).toEqual([
      'READY {}',
      'CLOSED {"by":"local","reason":"the program is done"}',
      'EXIT 0',
    ]);
  });
});

describe("client programs with holdProcess: 'always' (the default)", () => {
  it('an idle one does not end while its connection is open, and ends once it closes', async () => {
    const { server } = await programServer('unix');
    const child = await h.spawnFixture('hold', { address: server.address, action: 'idle' });
    await sleep(1500);
    expect(child.process.exitCode).toBeNull();
    expect(isAlive(child.pid)).toBe(true);
    await server.close('test: closing');
    expect(await endsByItself(child)).toEqual(['READY {}', 'EXIT 0']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Which socket states hold the process, call by call

/** Whether the socket's handle keeps the event loop alive. */
const holds = (socket: Socket): boolean =>
  (socket as unknown as { _handle: { hasRef(): boolean } | null })._handle?.hasRef() ?? false;

async function rawSocket(address: Address): Promise<Socket> {
  const socket = netConnect('path' in address ? { path: address.path } : { host: address.host, port: address.port });
  await once(socket, 'connect');
  return socket;
}

const gated = Rpc.rpc({ name: 'gated', input: z.void(), output: z.string() });
const gatedItems = Rpc.pipe({ name: 'gatedItems', input: z.void(), item: z.number() });
const gatedState = Rpc.state({ name: 'gatedState', input: z.void(), state: z.string(), update: z.number() });
const sink = Rpc.reversePipe({ name: 'sink', input: z.void(), item: z.number(), output: z.number() });
const hang = Rpc.rpc({ name: 'hangs', input: z.void(), output: z.void() });
const oneWayGated = Rpc.oneWay({ name: 'oneWayGated', input: z.void() });
const quick = Rpc.rpc({ name: 'quick', input: z.number(), output: z.number() });

/**
 * Implementations that wait for `gate` to open (one-way calls for `oneWayGate`), on whichever side serves them;
 * `started` counts the calls and one-way calls that began.
 */
function gatedImplementations(
  gate: { promise: Promise<void> },
  oneWayGate: { promise: Promise<void> },
  started: { count: number },
) {
  const implementations: AnyImplementation[] = [
    Rpc.implement(gated, async () => {
      started.count++;
      await gate.promise;
      return 'opened';
    }),
    Rpc.implement(quick, (n) => n),
    Rpc.implement(gatedItems, async function* () {
      yield 1;
      await gate.promise;
      yield 2;
    }),
    Rpc.implement(gatedState, () => ({
      state: 'initial',
      updates: (async function* () {
        yield 1;
        await gate.promise;
      })(),
    })),
    Rpc.implement(sink, async (_, items) => {
      let total = 0;
      for await (const item of items) total += item;
      return total;
    }),
    Rpc.implement(hang, () => new Promise<void>(() => undefined)),
    Rpc.implement(oneWayGated, async () => {
      started.count++;
      await oneWayGate.promise;
    }),
  ];
  return implementations;
}

describe.each(transports)("which states hold the process, with holdProcess: 'while-busy' (%s)", (transport) => {
  async function setUp(clientOptions: ConnectionOptions = { holdProcess: 'while-busy' }) {
    const gate = pDefer<void>();
    const oneWayGate = pDefer<void>();
    const started = { count: 0 };
    const serverSide = pDefer<Connection>();
    const server = await h.server(transport, {
      implementations: gatedImplementations(gate, oneWayGate, started),
      onConnection: (c) => serverSide.resolve(c),
    });
    const socket = await rawSocket(server.address);
    h.defer(() => socket.destroy());
    // Unref'd beforehand, so that a hold during the handshake shows.
    socket.unref();
    const opening = Connection.open(socket, 'client', {
      ...clientOptions,
      implementations: gatedImplementations(gate, oneWayGate, started),
    });
    const heldInHandshake = holds(socket);
    const client = await opening;
    h.defer(() => client.close('test over'));
    return { gate, oneWayGate, started, client, socket, heldInHandshake, serverSide: await serverSide.promise };
  }

  it('the handshake holds; an idle connection does not', async () => {
    const { socket, heldInHandshake } = await setUp();
    expect(heldInHandshake).toBe(true);
    expect(holds(socket)).toBe(false);
  });

  it("with 'always' the socket is left as it is", async () => {
    const { socket, client, gate } = await setUp({});
    expect(holds(socket)).toBe(false); // as the program left it: untouched
    const answer = client.dispatch(gated, undefined);
    expect(holds(socket)).toBe(false);
    gate.resolve();
    await answer;
  });

  it('holdUntilClosed() holds an idle connection until it closes, then the socket is gone', async () => {
    const { socket, client } = await setUp();
    expect(holds(socket)).toBe(false);
    client.holdUntilClosed();
    client.holdUntilClosed(); // once is enough: no count to balance
    expect(holds(socket)).toBe(true);
    await client.close('test: done waiting');
    expect(socket.destroyed).toBe(true);
  });

  it('a call awaiting its answer holds, as long as any call does', async () => {
    const { socket, client, gate } = await setUp();
    const first = client.dispatch(gated, undefined);
    expect(holds(socket)).toBe(true);
    expect(await client.dispatch(quick, 7)).toBe(7);
    expect(holds(socket)).toBe(true); // a counter, not a flag
    gate.resolve();
    expect(await first).toBe('opened');
    expect(holds(socket)).toBe(false);
  });

  it('a pipe holds until its end arrives, or until the caller breaks out of it', async () => {
    const { socket, client, gate } = await setUp();
    const broken = await client.dispatch(gatedItems, undefined);
    expect(holds(socket)).toBe(true);
    for await (const _ of broken) break;
    expect(holds(socket)).toBe(false);

    const stream = await client.dispatch(gatedItems, undefined);
    expect((await stream.next()).value).toBe(1);
    expect(holds(socket)).toBe(true);
    gate.resolve();
    expect((await stream.next()).value).toBe(2);
    expect((await stream.next()).done).toBe(true);
    expect(holds(socket)).toBe(false);
  });

  it('a state RPC holds while its updates are open', async () => {
    const { socket, client, gate } = await setUp();
    const { state, updates } = await client.dispatch(gatedState, undefined);
    expect(state).toBe('initial');
    expect((await updates.next()).value).toBe(1);
    expect(holds(socket)).toBe(true);
    gate.resolve();
    expect((await updates.next()).done).toBe(true);
    expect(holds(socket)).toBe(false);
  });

  it('a reverse pipe holds while it sends and until its result arrives', async () => {
    const { socket, client, gate } = await setUp();
    const items = (async function* () {
      yield 1;
      await gate.promise;
      yield 2;
    })();
    const total = client.dispatch(sink, [undefined, items]);
    await sleep(20);
    expect(holds(socket)).toBe(true);
    gate.resolve();
    expect(await total).toBe(3);
    expect(holds(socket)).toBe(false);
  });

  it('a call being served holds until it is answered', async () => {
    const { socket, serverSide, started, gate } = await setUp();
    const answer = serverSide.dispatch(gated, undefined);
    await waitFor(() => started.count === 1, 'the client to start serving');
    expect(holds(socket)).toBe(true);
    gate.resolve();
    expect(await answer).toBe('opened');
    expect(holds(socket)).toBe(false);
  });

  it('a one-way call being served holds until its handler settles', async () => {
    const { socket, serverSide, started, oneWayGate } = await setUp();
    await serverSide.dispatch(oneWayGated, undefined);
    await waitFor(() => started.count === 1, 'the one-way call to start');
    expect(holds(socket)).toBe(true);
    oneWayGate.resolve();
    await waitFor(() => !holds(socket), 'the socket to stop holding the process');
  });

  it('a call given up on (timeout, abort) or failed by the close no longer holds', async () => {
    const { socket, client } = await setUp();
    await expect(client.dispatch(hang, undefined, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(holds(socket)).toBe(false);
    const controller = new AbortController();
    const aborted = client.dispatch(hang, undefined, { signal: controller.signal });
    expect(holds(socket)).toBe(true);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect(holds(socket)).toBe(false);
    const pending = client.dispatch(hang, undefined);
    const closing = client.close('test: closing');
    expect(holds(socket)).toBe(true); // closing is in flight until the socket has closed
    await expect(pending).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await closing;
  });
});

describe('holdProcess that is neither', () => {
  it('is a TypeError, and the socket is not kept', async () => {
    const server = await h.server('unix', { implementations: [] });
    const socket = await rawSocket(server.address);
    const options = { holdProcess: 'sometimes' } as unknown as ConnectionOptions;
    await expect(Connection.open(socket, 'client', options)).rejects.toThrow(
      /holdProcess must be 'always' or 'while-busy', got "sometimes"/,
    );
    expect(socket.destroyed).toBe(true);
    await expect(Connection.connect({ address: server.address, ...options })).rejects.toThrow(TypeError);
  });
});
