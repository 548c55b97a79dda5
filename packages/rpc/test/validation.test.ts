// ValidationError on both sides: inputs checked by the caller and again by the server (which trusts no one),
// outputs, items, states and updates checked by the server before sending. The connection stays usable.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, ValidationError, type Connection } from '../src/index.js';
import { add, book, note, ticks, upload } from './fixtures/protocol.js';
import { rejection, transports, useHarness, waitFor } from './helpers.js';

const h = useHarness();

// The same names as the real descriptions with schemas that accept anything: what a hostile or out-of-date peer
// would send, bypassing the caller-side check.
const loose = {
  add: Rpc.rpc({ name: 'add', input: z.unknown(), output: z.unknown() }),
  ticks: Rpc.pipe({ name: 'ticks', input: z.unknown(), item: z.unknown() }),
  book: Rpc.state({ name: 'book', input: z.unknown(), state: z.unknown(), update: z.unknown() }),
  note: Rpc.oneWay({ name: 'note', input: z.unknown() }),
  upload: Rpc.reversePipe({ name: 'upload', input: z.unknown(), item: z.unknown(), output: z.unknown() }),
};

// Implementations that break their own output schemas on request.
const badAdd = Rpc.rpc({ name: 'badAdd', input: z.boolean(), output: z.number() });
const badTicks = Rpc.pipe({ name: 'badTicks', input: z.void(), item: z.number() });
const badState = Rpc.state({
  name: 'badState',
  input: z.enum(['state', 'update']),
  state: z.number(),
  update: z.number(),
});
const badSink = Rpc.reversePipe({ name: 'badSink', input: z.void(), item: z.number(), output: z.number() });

function implementations() {
  const seen = { add: 0, ticks: 0, book: 0, notes: [] as string[], upload: 0 };
  const list = [
    Rpc.implement(add, ([a, b]) => {
      seen.add++;
      return a + b;
    }),
    Rpc.implement(ticks, function* (n) {
      seen.ticks++;
      for (let i = 0; i < n; i++) yield i;
    }),
    Rpc.implement(book, (title) => {
      seen.book++;
      return { state: { title, lines: [] }, updates: [] };
    }),
    Rpc.implement(note, (text) => void seen.notes.push(text)),
    Rpc.implement(upload, async (name, items) => {
      seen.upload++;
      let bytes = 0;
      let chunks = 0;
      for await (const item of items) {
        bytes += item.length;
        chunks++;
      }
      return { name, bytes, chunks };
    }),
    Rpc.implement(badAdd, (bad) => (bad ? ('not a number' as unknown as number) : 1)),
    Rpc.implement(badTicks, function* () {
      yield 0;
      yield 1;
      yield 'two' as unknown as number;
      yield 3;
    }),
    Rpc.implement(badState, (what) => ({
      state: what === 'state' ? ('nope' as unknown as number) : 0,
      updates: [1, 2, null as unknown as number],
    })),
    Rpc.implement(badSink, async (_, items) => {
      for await (const _item of items);
      return 'many' as unknown as number;
    }),
  ];
  return { seen, list };
}

async function stillWorks(conn: Connection): Promise<void> {
  expect(await conn.dispatch(add, [1, 1])).toBe(2);
}

function expectValidation(error: Error, side: 'input' | 'output', rpc: string): ValidationError {
  expect(error).toBeInstanceOf(ValidationError);
  const v = error as ValidationError;
  expect(v.name).toBe('ValidationError');
  expect(v.side).toBe(side);
  expect(v.rpc).toBe(rpc);
  expect(v.issues.length).toBeGreaterThan(0);
  expect(v.issues[0]).toHaveProperty('message');
  expect(v.issues[0]).toHaveProperty('path');
  return v;
}

describe.each(transports)('input validation over %s', (transport) => {
  it('the caller refuses a bad input before sending anything', async () => {
    const { seen, list } = implementations();
    const server = await h.server(transport, { implementations: list });
    const proxy = await h.proxy(transport, server.address);
    const client = await h.connect({ address: proxy.address });
    await stillWorks(client);
    await waitFor(() => proxy.down() > 0, 'the answer to pass the proxy');
    const before = proxy.up();
    // @ts-expect-error the second element must be a number
    const error = expectValidation(await rejection(client.dispatch(add, [1, 'x'])), 'input', 'add');
    expect(error.issues[0]?.path).toEqual([1]);
    expect(error.message).toContain('invalid input for add');
    expectValidation(await rejection(client.dispatch(ticks, -1)), 'input', 'ticks');
    // @ts-expect-error the title must be a string
    expectValidation(await rejection(client.dispatch(book, 5)), 'input', 'book');
    // @ts-expect-error the note must be a string
    expectValidation(await rejection(client.dispatch(note, 5)), 'input', 'note');
    // @ts-expect-error the name must be a string
    expectValidation(await rejection(client.dispatch(upload, [5, []])), 'input', 'upload');
    expect(proxy.up()).toBe(before);
    expect(seen).toEqual({ add: 1, ticks: 0, book: 0, notes: [], upload: 0 });
    await stillWorks(client);
  });

  it('a reverse-pipe item the caller refuses fails the call with the item index', async () => {
    const { seen, list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    const items = [new Uint8Array(1), new Uint8Array(2), 'three' as unknown as Uint8Array<ArrayBuffer>];
    const error = expectValidation(await rejection(client.dispatch(upload, ['x', items])), 'input', 'upload');
    expect(error.message).toContain('item 2');
    await waitFor(() => seen.upload === 1, 'the server call to have started');
    await stillWorks(client);
  });

  it('the server refuses bad inputs from a peer that skipped the check, for every kind', async () => {
    const { seen, list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    expectValidation(await rejection(client.dispatch(loose.add, [1, 'x'])), 'input', 'add');
    expectValidation(await rejection(client.dispatch(loose.ticks, -1)), 'input', 'ticks');
    expectValidation(await rejection(client.dispatch(loose.book, { not: 'a string' })), 'input', 'book');
    expectValidation(await rejection(client.dispatch(loose.upload, [42, []])), 'input', 'upload');
    // A one-way message has no answer: the server drops it without running anything.
    await client.dispatch(loose.note, 12);
    await client.dispatch(note, 'valid');
    await waitFor(() => seen.notes.length === 1, 'the valid note');
    expect(seen).toEqual({ add: 0, ticks: 0, book: 0, notes: ['valid'], upload: 0 });
    await stillWorks(client);
  });

  it('the server refuses reverse-pipe items its schema rejects, even when the caller let them through', async () => {
    const { list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    const error = expectValidation(
      await rejection(client.dispatch(loose.upload, ['x', [new Uint8Array(1), 'not bytes']])),
      'input',
      'upload',
    );
    expect(error.message).toContain('item 1');
    expect(error.what).toBe('item 1');
    await stillWorks(client);
  });
});

describe.each(transports)('output validation over %s', (transport) => {
  it('an rpc result that breaks its schema', async () => {
    const { list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    expectValidation(await rejection(client.dispatch(badAdd, true)), 'output', 'badAdd');
    expect(await client.dispatch(badAdd, false)).toBe(1);
  });

  it('a pipe item that breaks its schema fails the stream after the good items', async () => {
    const { list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    const got: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const i of await client.dispatch(badTicks, undefined)) got.push(i);
      })(),
    );
    expect(got).toEqual([0, 1]);
    expect(expectValidation(error, 'output', 'badTicks').message).toContain('item 2');
    expect((error as ValidationError).what).toBe('item 2');
    await stillWorks(client);
  });

  it('a state that breaks its schema rejects the call; a bad update fails the stream', async () => {
    const { list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    expect(
      expectValidation(await rejection(client.dispatch(badState, 'state')), 'output', 'badState').message,
    ).toContain('state');
    const { state, updates } = await client.dispatch(badState, 'update');
    expect(state).toBe(0);
    const got: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const u of updates) got.push(u);
      })(),
    );
    expect(got).toEqual([1, 2]);
    expect(expectValidation(error, 'output', 'badState').message).toContain('update 2');
    await stillWorks(client);
  });

  it('a reverse-pipe output that breaks its schema', async () => {
    const { list } = implementations();
    const { client } = await h.pair(transport, { server: { implementations: list } });
    expectValidation(await rejection(client.dispatch(badSink, [undefined, [1, 2]])), 'output', 'badSink');
    await stillWorks(client);
  });
});
