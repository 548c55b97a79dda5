// Per-stream credit over real sockets: a consumer that stops reading pauses only its own stream's producer (the
// generator is not resumed), while other calls and heartbeats on the same connection keep flowing.
import pDefer from 'p-defer';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc } from '../src/index.js';
import { Kind } from '../src/wire/messages.js';
import { add } from './fixtures/protocol.js';
import { settled, sleep, transports, useHarness, within } from './helpers.js';

const h = useHarness();

const WINDOW = 4096;
// A batch holds at most 1024 items, and the producer may overdraw its credit by one batch: with a window of a few
// KiB of small numbers, a paused producer has pulled at most a couple of batches.
const PAUSED_BOUND = 3 * 1024;
const settings = { streamWindowBytes: WINDOW, heartbeat: { intervalMs: 50, timeoutMs: 300 } };

const numbers = Rpc.pipe({ name: 'numbers', input: z.number(), item: z.number() });
const sink = Rpc.reversePipe({
  name: 'sink',
  input: z.number(),
  item: z.number(),
  output: z.object({ count: z.number(), inOrder: z.boolean() }),
});

describe.each(transports)('flow control over %s', (transport) => {
  it('a pipe consumer that stops reading pauses the producer; everything else keeps flowing; resuming gets every item', async () => {
    const N = 50_000;
    let yielded = 0;
    const { client, serverSide } = await h.pair(transport, {
      server: {
        settings,
        implementations: [
          Rpc.implement(add, ([a, b]) => a + b),
          Rpc.implement(numbers, function* (n) {
            for (let i = 0; i < n; i++) {
              yielded++;
              yield i;
            }
          }),
        ],
      },
      client: { settings, implementations: [Rpc.implement(add, ([a, b]) => a + b)] },
    });
    const stream = await client.dispatch(numbers, N);
    const got: number[] = [];
    for (let i = 0; i < 10; i++) got.push((await stream.next()).value as number);

    const paused = await settled(() => yielded);
    expect(paused).toBeLessThanOrEqual(PAUSED_BOUND);

    // Calls both ways go through while the stream is stalled, and heartbeats keep the connection alive for
    // well past the heartbeat timeout.
    const until = performance.now() + 2 * settings.heartbeat.timeoutMs;
    let calls = 0;
    while (performance.now() < until) {
      expect(await client.dispatch(add, [calls, 1])).toBe(calls + 1);
      expect(await serverSide.dispatch(add, [calls, 2])).toBe(calls + 2);
      calls++;
      await sleep(20);
    }
    expect(calls).toBeGreaterThan(5);
    expect(client.isClosed || serverSide.isClosed).toBe(false);
    expect(yielded).toBe(paused);

    for await (const i of stream) got.push(i);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(yielded).toBe(N);
  });

  it('a consumer reading in batches is paused and resumed the same way, and gets every item in order', async () => {
    const N = 50_000;
    let yielded = 0;
    const { client } = await h.pair(transport, {
      server: {
        settings,
        implementations: [
          Rpc.implement(numbers, async function* (n) {
            for (let i = 0; i < n; i++) {
              yielded++;
              yield i;
            }
          }),
        ],
      },
      client: { settings },
    });
    const batches = (await client.dispatch(numbers, N)).batches();
    const got = [...((await batches.next()).value as number[])];
    const paused = await settled(() => yielded);
    expect(paused).toBeLessThanOrEqual(PAUSED_BOUND);
    await sleep(100);
    expect(yielded).toBe(paused);
    let reads = 1;
    for await (const batch of batches) {
      got.push(...batch);
      reads++;
    }
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
    // Each read took a whole batch: far fewer reads than items.
    expect(reads).toBeLessThan(N / 10);
  });

  it('a stalled stream does not hold back another stream on the same connection', async () => {
    const { client } = await h.pair(transport, {
      server: {
        settings,
        implementations: [
          Rpc.implement(numbers, function* (n) {
            for (let i = 0; i < n; i++) yield i;
          }),
        ],
      },
      client: { settings },
    });
    const stalled = await client.dispatch(numbers, 1_000_000);
    await stalled.next();
    let count = 0;
    for await (const i of await client.dispatch(numbers, 20_000)) {
      expect(i).toBe(count);
      count++;
    }
    expect(count).toBe(20_000);
    stalled.cancel();
  });

  it("a reverse-pipe server that stops reading pauses the caller's source; resuming gets every item in order", async () => {
    const N = 50_000;
    const resume = pDefer<void>();
    const readTen = pDefer<void>();
    let pulled = 0;
    const { client, serverSide } = await h.pair(transport, {
      server: {
        settings,
        implementations: [
          Rpc.implement(add, ([a, b]) => a + b),
          Rpc.implement(sink, async (stopAt, items) => {
            let count = 0;
            let inOrder = true;
            for await (const x of items) {
              if (x !== count) inOrder = false;
              count++;
              if (count === stopAt) {
                readTen.resolve();
                await resume.promise;
              }
            }
            return { count, inOrder };
          }),
        ],
      },
      client: { settings, implementations: [Rpc.implement(add, ([a, b]) => a + b)] },
    });
    function* source() {
      for (let i = 0; i < N; i++) {
        pulled++;
        yield i;
      }
    }
    const result = client.dispatch(sink, [10, source()]);
    await within(readTen.promise, 10_000, 'the server to read ten items');
    const paused = await settled(() => pulled);
    expect(paused).toBeLessThanOrEqual(PAUSED_BOUND);

    const until = performance.now() + 2 * settings.heartbeat.timeoutMs;
    while (performance.now() < until) {
      expect(await client.dispatch(add, [1, 1])).toBe(2);
      expect(await serverSide.dispatch(add, [2, 2])).toBe(4);
      await sleep(20);
    }
    expect(client.isClosed || serverSide.isClosed).toBe(false);
    expect(pulled).toBe(paused);

    resume.resolve();
    expect(await result).toEqual({ count: N, inOrder: true });
    expect(pulled).toBe(N);
  });

  it('state updates are flow-controlled like pipe items', async () => {
    const counter = Rpc.state({ name: 'counter', input: z.number(), state: z.string(), update: z.number() });
    let yielded = 0;
    const { client } = await h.pair(transport, {
      server: {
        settings,
        implementations: [
          Rpc.implement(counter, (n) => ({
            state: 'start',
            updates: (function* () {
              for (let i = 0; i < n; i++) {
                yielded++;
                yield i;
              }
            })(),
          })),
        ],
      },
      client: { settings },
    });
    const { state, updates } = await client.dispatch(counter, 30_000);
    expect(state).toBe('start');
    await updates.next();
    expect(await settled(() => yielded)).toBeLessThanOrEqual(PAUSED_BOUND);
    let count = 1;
    for await (const u of updates) expect(u).toBe(count++);
    expect(count).toBe(30_000);
  });

  it('a peer that ignores its credit is disconnected with PROTOCOL', async () => {
    let serverSawAbort = false;
    const server = await h.server(transport, {
      settings: { streamWindowBytes: 1024 },
      implementations: [
        // Never reads: only the sender's respect for credit bounds what is buffered here.
        Rpc.implement(sink, (_, _items, ctx) => {
          return new Promise((resolve) =>
            ctx.signal.addEventListener('abort', () => {
              serverSawAbort = true;
              resolve({ count: 0, inOrder: true });
            }),
          );
        }),
        Rpc.implement(add, ([a, b]) => a + b),
      ],
    });
    const raw = await h.raw(server.address);
    await raw.handshake();
    raw.send([Kind.Query, 1, 'sink', 0, 0]);
    const batch = Array.from({ length: 200 }, (_, i) => 100_000 + i);
    for (let i = 0; i < 10; i++) raw.send([Kind.UpItems, 1, batch]);
    await within(raw.closed, 10_000, 'the server to hang up');
    expect(raw.closeMessage()?.code).toBe('PROTOCOL');
    expect(raw.closeMessage()?.reason).toContain('credit window');
    expect(serverSawAbort).toBe(true);
    const good = await h.connect({ address: server.address, settings: { streamWindowBytes: 1024 } });
    expect(await good.dispatch(add, [1, 2])).toBe(3);
  });

  it('peers with different windows interoperate: each producer starts from the window its consumer announced', async () => {
    const big = { streamWindowBytes: 4 * 1024 * 1024 };
    const small = { streamWindowBytes: 16 * 1024 };
    const item = z.instanceof(Uint8Array);
    const blobs = Rpc.pipe({ name: 'blobs', input: z.number(), item });
    const upload = Rpc.reversePipe({ name: 'upload', input: z.void(), item, output: z.number() });
    const { client } = await h.pair(transport, {
      server: {
        settings: big,
        implementations: [
          Rpc.implement(blobs, function* (n) {
            for (let i = 0; i < n; i++) yield new Uint8Array(8 * 1024);
          }),
          Rpc.implement(upload, async (_, items) => {
            let bytes = 0;
            for await (const b of items) bytes += b.length;
            return bytes;
          }),
        ],
      },
      client: { settings: small },
    });
    let received = 0;
    for await (const b of await client.dispatch(blobs, 2000)) received += b.length;
    expect(received).toBe(2000 * 8 * 1024);
    const chunks = Array.from({ length: 500 }, () => new Uint8Array(8 * 1024));
    expect(await client.dispatch(upload, [undefined, chunks])).toBe(500 * 8 * 1024);
    expect(client.isClosed).toBe(false);
  });
});
