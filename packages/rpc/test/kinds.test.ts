// Every kind of RPC, over Unix sockets and TCP, in both directions of one symmetric connection.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, type Connection } from '../src/index.js';
import { add, book, echo, note, ticks, upload } from './fixtures/protocol.js';
import { transports, useHarness, waitFor } from './helpers.js';

const h = useHarness();

const bytes = (...values: number[]) => Uint8Array.from(values);

function serverImplementations(notes: string[]) {
  return [
    Rpc.implement(add, ([a, b]) => a + b),
    Rpc.implement(ticks, async function* (n) {
      for (let i = 0; i < n; i++) yield i;
    }),
    Rpc.implement(book, async (title) => ({
      state: { title, lines: ['first'] },
      updates: (async function* () {
        for (const line of ['second', 'third']) yield { line };
      })(),
    })),
    Rpc.implement(note, (text) => void notes.push(text)),
    Rpc.implement(upload, async (name, items) => {
      let total = 0;
      let chunks = 0;
      for await (const chunk of items) {
        total += chunk.length;
        chunks++;
      }
      return { name, bytes: total, chunks };
    }),
  ];
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe.each(transports)('every kind over %s', (transport) => {
  it('rpc: request and response', async () => {
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations([]) } });
    expect(await client.dispatch(add, [1, 2])).toBe(3);
    expect(await client.dispatch(add, [-0.5, 0.25])).toBe(-0.25);
  });

  it('rpc: many concurrent calls are matched to their own responses', async () => {
    const slowAdd = Rpc.rpc({ name: 'slowAdd', input: z.tuple([z.number(), z.number()]), output: z.number() });
    const { client } = await h.pair(transport, {
      server: {
        implementations: [
          Rpc.implement(slowAdd, async ([a, b]) => {
            await new Promise((resolve) => setTimeout(resolve, (a * 7) % 13));
            return a + b;
          }),
        ],
      },
    });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.dispatch(slowAdd, [i, 1000])));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i + 1000));
  });

  it('pipe: items arrive in order and the stream ends', async () => {
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations([]) } });
    expect(await collect(await client.dispatch(ticks, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(await collect(await client.dispatch(ticks, 0))).toEqual([]);
    expect(await collect(await client.dispatch(ticks, 5000))).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('pipe: a sync iterable (an array) works as the source', async () => {
    const letters = Rpc.pipe({ name: 'letters', input: z.string(), item: z.string() });
    const { client } = await h.pair(transport, {
      server: { implementations: [Rpc.implement(letters, (s) => [...s])] },
    });
    expect(await collect(await client.dispatch(letters, 'abc'))).toEqual(['a', 'b', 'c']);
  });

  it('state: the initial state, then every update', async () => {
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations([]) } });
    const { state, updates } = await client.dispatch(book, 'Dune');
    expect(state).toEqual({ title: 'Dune', lines: ['first'] });
    expect(await collect(updates)).toEqual([{ line: 'second' }, { line: 'third' }]);
  });

  it('oneWay: resolves once written and the server runs it', async () => {
    const notes: string[] = [];
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations(notes) } });
    await expect(client.dispatch(note, 'hello')).resolves.toBeUndefined();
    await client.dispatch(note, 'world');
    await waitFor(() => notes.length === 2, 'both notes');
    expect(notes).toEqual(['hello', 'world']);
  });

  it('oneWay: a note dispatched right before close() still reaches the server', async () => {
    const notes: string[] = [];
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations(notes) } });
    await client.dispatch(note, 'last words');
    void client.dispatch(note, 'not even awaited');
    await client.close('done');
    await waitFor(() => notes.length === 2, 'both notes');
    expect(notes).toEqual(['last words', 'not even awaited']);
  });

  it('reversePipe: items from a sync iterable, an async iterable, or none at all', async () => {
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations([]) } });
    expect(await client.dispatch(upload, ['a', [bytes(1, 2), bytes(3)]])).toEqual({ name: 'a', bytes: 3, chunks: 2 });
    async function* chunks() {
      for (let i = 0; i < 100; i++) yield new Uint8Array(i);
    }
    expect(await client.dispatch(upload, ['b', chunks()])).toEqual({ name: 'b', bytes: 4950, chunks: 100 });
    expect(await client.dispatch(upload, ['c', []])).toEqual({ name: 'c', bytes: 0, chunks: 0 });
  });

  it('one connection carries every kind at once', async () => {
    const notes: string[] = [];
    const { client } = await h.pair(transport, { server: { implementations: serverImplementations(notes) } });
    const [sum, items, snapshot, , uploaded] = await Promise.all([
      client.dispatch(add, [2, 3]),
      client.dispatch(ticks, 1000).then(collect),
      client.dispatch(book, 'x').then(async ({ state, updates }) => ({ state, updates: await collect(updates) })),
      client.dispatch(note, 'n'),
      client.dispatch(upload, ['u', Array.from({ length: 50 }, () => new Uint8Array(1000))]),
    ]);
    expect(sum).toBe(5);
    expect(items).toHaveLength(1000);
    expect(snapshot.updates).toHaveLength(2);
    expect(uploaded.bytes).toBe(50_000);
    await waitFor(() => notes.length === 1, 'the note');
  });

  it('two versions of one name are served side by side', async () => {
    const v0 = Rpc.rpc({ name: 'greet', input: z.string(), output: z.string() });
    const v1 = Rpc.rpc({ name: 'greet', version: 1, input: z.object({ who: z.string() }), output: z.string() });
    const { client } = await h.pair(transport, {
      server: {
        implementations: [Rpc.implement(v0, (who) => `hi ${who}`), Rpc.implement(v1, ({ who }) => `hello ${who}`)],
      },
    });
    expect(await client.dispatch(v0, 'a')).toBe('hi a');
    expect(await client.dispatch(v1, { who: 'b' })).toBe('hello b');
    expect(client.implements(v0) && client.implements(v1)).toBe(true);
  });
});

describe.each(transports)('symmetric connections over %s', (transport) => {
  // The client serves every kind too; the server calls it back over the same socket.
  it('the server dispatches every kind to the client from onConnection', async () => {
    const notes: string[] = [];
    let resolveResults!: (value: unknown) => void;
    const results = new Promise((resolve) => (resolveResults = resolve));
    const onConnection = (conn: Connection): void => {
      void (async () => {
        const { state, updates } = await conn.dispatch(book, 'from server');
        return {
          sum: await conn.dispatch(add, [40, 2]),
          ticks: await collect(await conn.dispatch(ticks, 3)),
          state,
          updates: await collect(updates),
          uploaded: await conn.dispatch(upload, ['up', [bytes(9, 9, 9)]]),
          noted: await conn.dispatch(note, 'to client'),
        };
      })().then(resolveResults, resolveResults);
    };
    await h.pair(transport, {
      server: { implementations: [], onConnection },
      client: { implementations: serverImplementations(notes) },
    });
    expect(await results).toEqual({
      sum: 42,
      ticks: [0, 1, 2],
      state: { title: 'from server', lines: ['first'] },
      updates: [{ line: 'second' }, { line: 'third' }],
      uploaded: { name: 'up', bytes: 3, chunks: 1 },
      noted: undefined,
    });
    await waitFor(() => notes.length === 1, 'the note to reach the client');
  });

  it('an implementation calls back into its caller through ctx.connection, while the call is running', async () => {
    const sumVia = Rpc.rpc({ name: 'sumVia', input: z.array(z.number()), output: z.number() });
    const { client, serverSide } = await h.pair(transport, {
      server: {
        implementations: [
          Rpc.implement(sumVia, async (xs, ctx) => {
            let total = 0;
            for (const x of xs) total = await ctx.connection.dispatch(add, [total, x]);
            return total;
          }),
        ],
      },
      client: { implementations: [Rpc.implement(add, ([a, b]) => a + b)] },
    });
    expect(await client.dispatch(sumVia, [1, 2, 3, 4])).toBe(10);
    expect(serverSide.implements(add)).toBe(true);
    expect(client.implements(add)).toBe(false);
  });

  it('both sides call each other at the same time', async () => {
    const { client, serverSide } = await h.pair(transport, {
      server: { implementations: serverImplementations([]) },
      client: { implementations: serverImplementations([]) },
    });
    const calls = Array.from({ length: 50 }, (_, i) => [
      client.dispatch(add, [i, 1]),
      serverSide.dispatch(add, [i, 2]),
      client.dispatch(ticks, 10).then(collect),
      serverSide.dispatch(ticks, 10).then(collect),
    ]).flat();
    const out = await Promise.all(calls);
    expect(out.slice(0, 4)).toEqual([1, 2, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('describes each side to the other', async () => {
    const { client, serverSide } = await h.pair(transport, {
      server: { implementations: [], description: 'the server' },
      client: { description: 'the client' },
    });
    expect(client.peer).toBe('the server');
    expect(serverSide.peer).toBe('the client');
  });

  it('echoes bytes both ways', async () => {
    const { client, serverSide } = await h.pair(transport, {
      server: { implementations: [Rpc.implement(echo, (b) => b)] },
      client: { implementations: [Rpc.implement(echo, (b) => b)] },
    });
    expect([...(await client.dispatch(echo, bytes(1, 2, 3)))]).toEqual([1, 2, 3]);
    expect([...(await serverSide.dispatch(echo, bytes(4, 5)))]).toEqual([4, 5]);
  });
});
