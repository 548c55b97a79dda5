// Property-based fuzzing with fast-check: the frame decoder alone, then a real server fed random bytes and
// mutations of a recorded real session. Runs are few on purpose: the suite shares two cores with everything else.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Rpc, RpcError, Server, type Address } from '../src/index.js';
import { FrameDecoder } from '../src/wire/frame-decoder.js';
import { add, book, hang, note, ticks, upload } from './fixtures/protocol.js';
import { RawPeer, encodeFrame, useHarness, within } from './helpers.js';

const h = useHarness();

/** Splits `bytes` at the given cut points (taken modulo its length). */
function chunk(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(Buffer.from(bytes.subarray(start, p)));
    start = p;
  }
  out.push(Buffer.from(bytes.subarray(start)));
  return out;
}

describe('FrameDecoder under random input', () => {
  it('throws nothing but RpcError and never holds more than maxMessageSize + 4 bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.uint8Array({ maxLength: 8192 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (max, bytes, cuts) => {
          const decoder = new FrameDecoder(max, (payload) => {
            expect(payload.length).toBeGreaterThan(0);
            expect(payload.length).toBeLessThanOrEqual(max);
          });
          for (const piece of chunk(bytes, cuts)) {
            try {
              decoder.push(piece);
            } catch (error) {
              expect(error).toBeInstanceOf(RpcError);
              expect(['MESSAGE_TOO_BIG', 'PROTOCOL']).toContain((error as RpcError).code);
              return; // the caller drops the stream after a throw
            }
            expect(decoder.buffered).toBeLessThanOrEqual(max + 4);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes a valid stream of frames, chunked at random, to the same payloads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(
            payloads.map((p) => {
              const header = Buffer.alloc(4);
              header.writeUInt32BE(p.length, 0);
              return Buffer.concat([header, p]);
            }),
          );
          const got: Buffer[] = [];
          const decoder = new FrameDecoder(600, (payload) => got.push(Buffer.from(payload)));
          for (const piece of chunk(stream, cuts)) decoder.push(piece);
          expect(got.map((b) => [...b])).toEqual(payloads.map((p) => [...p]));
          expect(decoder.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// --- The full connection ---------------------------------------------------------------------------------------

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe('a real server under fuzzed input', () => {
  const settings = {
    maxMessageSize: 1 << 16,
    streamWindowBytes: 1 << 14,
    heartbeat: { intervalMs: 1000, timeoutMs: 10_000 },
  };
  const implementations = [
    Rpc.implement(add, ([a, b]) => a + b),
    Rpc.implement(ticks, async function* (n) {
      for (let i = 0; i < n; i++) yield i;
    }),
    Rpc.implement(book, (title) => ({ state: { title, lines: ['a'] }, updates: [{ line: 'b' }] })),
    Rpc.implement(note, () => undefined),
    Rpc.implement(upload, async (name, items) => {
      let bytes = 0;
      let chunks = 0;
      for await (const item of items) {
        bytes += item.length;
        chunks++;
      }
      return { name, bytes, chunks };
    }),
    Rpc.implement(
      hang,
      (_, ctx) => new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve('x'))),
    ),
  ];

  let server: Server;
  let good: Connection;
  let session: Buffer;
  let serverSession: Buffer;
  let frames: Buffer[];
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);

  // The server, a good client and the recording live for the whole block; the harness cleans per test, so they
  // are opened and closed here by hand.
  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    server = await Server.listen({ address: { host: '127.0.0.1', port: 0 }, implementations, settings });
    good = await Connection.connect({ address: server.address, settings });
    session = await recordSession(server.address);
    frames = splitFrames(session);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await good?.close();
    await server?.close();
  });

  /** Every byte a real client sends in a session that uses every kind, recorded through a relay. */
  async function recordSession(target: Address): Promise<Buffer> {
    const proxy = await h.proxy('tcp', target);
    const client = await Connection.connect({ address: proxy.address, settings });
    await client.dispatch(add, [1, 2]);
    for await (const i of await client.dispatch(ticks, 3)) void i;
    for await (const i of await client.dispatch(ticks, 100_000)) if (i === 2) break;
    const { updates } = await client.dispatch(book, 't');
    for await (const u of updates) void u;
    await client.dispatch(note, 'n');
    await client.dispatch(upload, ['u', [new Uint8Array([1, 2, 3]), new Uint8Array(10)]]);
    await client.dispatch(hang, undefined, { timeoutMs: 10 }).catch(() => undefined);
    await client.close('recorded');
    const bytes = proxy.upBytes();
    serverSession = proxy.downBytes();
    await h.dispose();
    return bytes;
  }

  function splitFrames(bytes: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const decoder = new FrameDecoder(1 << 20, (payload) => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length, 0);
      out.push(Buffer.concat([header, payload]));
    });
    decoder.push(bytes);
    return out;
  }

  /** Writes `pieces` on a fresh raw connection, half-closes, and waits for the server to let go of it. */
  let answered = 0;
  async function attack(pieces: Buffer[]): Promise<void> {
    const raw = await RawPeer.connect(server.address);
    try {
      for (const piece of pieces) if (piece.length > 0) raw.write(piece);
      raw.end();
      await within(raw.closed, 5_000, 'the server to finish with a fuzzed connection');
      if (raw.messages.some((m) => m[0] === 4 || m[0] === 5)) answered++;
    } finally {
      raw.destroy();
    }
    expect(await within(good.dispatch(add, [20, 22]), 5_000, 'the good client')).toBe(42);
  }

  const cuts = fc.array(fc.nat(), { maxLength: 8 });

  it('the recorded session replays cleanly', async () => {
    expect(frames.length).toBeGreaterThan(10);
    await attack([session]);
  });

  it('survives random bytes, flipped bytes of the real session, and reshuffled real frames', async () => {
    const heapBefore = heapAfterGc();
    const randomBytes = fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 3000 }) });
    const flips = fc.record({
      kind: fc.constant('flips' as const),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
    });
    const reshuffle = fc.record({
      kind: fc.constant('frames' as const),
      order: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
      tail: fc.uint8Array({ maxLength: 50 }),
    });
    const handshakeThenGarbage = fc.record({
      kind: fc.constant('handshake+garbage' as const),
      bytes: fc.uint8Array({ maxLength: 500 }),
    });

    await fc.assert(
      fc.asyncProperty(fc.oneof(randomBytes, flips, reshuffle, handshakeThenGarbage), cuts, async (input, at) => {
        let bytes: Buffer;
        switch (input.kind) {
          case 'random':
            bytes = Buffer.from(input.bytes);
            break;
          case 'flips':
            bytes = Buffer.from(session);
            for (const [pos, xor] of input.flips) bytes[pos % bytes.length]! ^= xor;
            break;
          case 'frames':
            // The handshake first (so later frames reach the call tables), then real frames in any order.
            bytes = Buffer.concat([
              ...frames.slice(0, 3),
              ...input.order.map((i) => frames[i % frames.length]!),
              input.tail,
            ]);
            break;
          case 'handshake+garbage':
            bytes = Buffer.concat([...frames.slice(0, 3), encodeFrame([3, 1, 'add', 0, [1, 2]]), input.bytes]);
            break;
        }
        await attack(chunk(bytes, at));
      }),
      { numRuns: 200 },
    );

    expect(uncaught).toEqual([]);
    expect(server.activeConnections).toHaveLength(1);
    // The mutations got past the handshake often enough to exercise the call tables, not just the framing.
    expect(answered).toBeGreaterThan(10);
    // Everything the fuzzed connections held is collectable: the heap is back near where it started.
    expect(heapAfterGc() - heapBefore).toBeLessThan(16 * 1024 * 1024);
  });

  it('a client fed random and mutated server bytes settles every call and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
          fc
            .array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 })
            .map((flips) => {
              const bytes = Buffer.from(serverSession);
              for (const [pos, xor] of flips) bytes[pos % bytes.length]! ^= xor;
              return bytes;
            }),
        ),
        async (bytes) => {
          const address = await h.rawServer('tcp', (peer) => {
            peer.write(bytes);
            peer.end();
          });
          const outcome = (async () => {
            const client = await Connection.connect({ address, settings });
            await client.dispatch(add, [1, 2]).catch(() => undefined);
            await client.close();
          })().catch((error: unknown) => expect(error).toBeInstanceOf(RpcError));
          await within(outcome, 5_000, 'a client facing a fuzzed server');
          await h.dispose();
        },
      ),
      { numRuns: 100 },
    );
    expect(uncaught).toEqual([]);
  });
});
