// Binary values travel byte-exact, as bytes: Uint8Array and Buffer, tiny and multi-MiB, in every position.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc } from '../src/index.js';
import { echo, upload } from './fixtures/protocol.js';
import { transports, useHarness } from './helpers.js';

const h = useHarness();

const MiB = 1024 * 1024;
const bufferEcho = Rpc.rpc({ name: 'bufferEcho', input: z.instanceof(Buffer), output: z.instanceof(Buffer) });
const chunksOf = Rpc.pipe({ name: 'chunksOf', input: z.instanceof(Uint8Array), item: z.instanceof(Uint8Array) });
const nested = Rpc.rpc({
  name: 'nested',
  input: z.object({ header: z.string(), parts: z.array(z.instanceof(Uint8Array)) }),
  output: z.object({ header: z.string(), parts: z.array(z.instanceof(Uint8Array)) }),
});
const digestOf = Rpc.reversePipe({
  name: 'digestOf',
  input: z.void(),
  item: z.instanceof(Uint8Array),
  output: z.instanceof(Uint8Array),
});

const implementations = [
  Rpc.implement(echo, (b) => b),
  Rpc.implement(bufferEcho, (b) => b),
  Rpc.implement(nested, (v) => v),
  Rpc.implement(chunksOf, function* (bytes) {
    for (let i = 0; i < bytes.length; i += 100_000) yield bytes.subarray(i, i + 100_000);
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
  Rpc.implement(digestOf, async (_, items) => {
    const parts: Uint8Array[] = [];
    for await (const item of items) parts.push(item);
    return Buffer.concat(parts);
  }),
];

/** Bytes with a recognisable pattern plus randomness, so shifted or truncated copies cannot pass. */
function pattern(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  out.set(randomBytes(Math.min(length, 4096)));
  for (let i = 4096; i < length; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

describe.each(transports)('binary over %s', (transport) => {
  it('a Uint8Array comes back byte-exact, as a Uint8Array, at every small size', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    for (const size of [0, 1, 2, 255, 256, 65_535, 65_536, 65_537]) {
      const sent = pattern(size);
      const got = await client.dispatch(echo, sent);
      expect(got).toBeInstanceOf(Uint8Array);
      expect(got.length).toBe(size);
      expect(same(got, sent)).toBe(true);
    }
  });

  it('a Buffer comes back as a Buffer, byte-exact', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    const sent = Buffer.from('héllo, bytes \u0000\u00ff', 'utf8');
    const got = await client.dispatch(bufferEcho, sent);
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.equals(sent)).toBe(true);
  });

  it('a view into a larger buffer sends only its own bytes', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    const backing = pattern(1000);
    const view = backing.subarray(100, 200);
    const got = await client.dispatch(echo, view);
    expect(got.length).toBe(100);
    expect(same(got, view)).toBe(true);
  });

  it('an 8 MiB array makes the round trip byte-exact (many socket reads each way)', async () => {
    // One socket read delivers at most 64 KiB, so each direction arrives in well over a hundred chunks.
    const { client } = await h.pair(transport, { server: { implementations } });
    const sent = pattern(8 * MiB);
    const got = await client.dispatch(echo, sent);
    expect(got.length).toBe(sent.length);
    expect(same(got, sent)).toBe(true);
  });

  it('a 3 MiB array survives a relay that re-slices it into 1000-byte writes', async () => {
    const server = await h.server(transport, { implementations });
    const proxy = await h.proxy(transport, server.address, 1000);
    const client = await h.connect({ address: proxy.address });
    const sent = pattern(3 * MiB);
    expect(same(await client.dispatch(echo, sent), sent)).toBe(true);
  });

  it('bytes nested in objects and arrays, pipe items and reverse-pipe items all arrive intact', async () => {
    const { client } = await h.pair(transport, { server: { implementations } });
    const parts = [pattern(10), pattern(0), pattern(70_000)];
    const back = await client.dispatch(nested, { header: 'h', parts });
    expect(back.header).toBe('h');
    expect(back.parts.map((p, i) => same(p, parts[i]!))).toEqual([true, true, true]);

    const big = pattern(2 * MiB + 17);
    const pieces: Uint8Array[] = [];
    for await (const piece of await client.dispatch(chunksOf, big)) pieces.push(piece);
    expect(pieces).toHaveLength(Math.ceil(big.length / 100_000));
    expect(same(Buffer.concat(pieces), big)).toBe(true);

    const chunks = Array.from({ length: 40 }, (_, i) => pattern(i * 1000 + 1));
    expect(await client.dispatch(upload, ['f', chunks])).toEqual({
      name: 'f',
      bytes: chunks.reduce((n, c) => n + c.length, 0),
      chunks: 40,
    });
    const joined = await client.dispatch(digestOf, [undefined, chunks]);
    expect(same(joined, Buffer.concat(chunks))).toBe(true);
  });
});
