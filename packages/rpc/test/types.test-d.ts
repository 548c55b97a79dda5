// Type tests: dispatch and implement infer inputs, outputs, items, states and updates from the descriptions,
// and misuse does not compile.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  Rpc,
  type CloseReason,
  type Connection,
  type DispatchResult,
  type RpcContext,
  type RpcErrorCode,
  type RpcStream,
  type Source,
} from '../src/index.js';

declare const conn: Connection;

const Book = z.object({ title: z.string(), lines: z.array(z.string()) });
const Delta = z.object({ line: z.string() });

const add = Rpc.rpc({ name: 'add', input: z.tuple([z.number(), z.number()]), output: z.number() });
const ticks = Rpc.pipe({ name: 'ticks', input: z.number(), item: z.number() });
const book = Rpc.state({ name: 'book', input: z.string(), state: Book, update: Delta });
const note = Rpc.oneWay({ name: 'note', input: z.string() });
const upload = Rpc.reversePipe({
  name: 'upload',
  input: z.string(),
  item: z.instanceof(Uint8Array),
  output: z.number(),
});
// Schemas that transform: the caller passes the schema's input type and receives its output type.
const parse = Rpc.rpc({ name: 'parse', input: z.string().transform(Number), output: z.number().transform(String) });

describe('dispatch infers from the description', () => {
  it('rpc', () => {
    expectTypeOf(conn.dispatch(add, [1, 2])).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error the second element must be a number
    void conn.dispatch(add, [1, '2']);
    // @ts-expect-error a tuple of two, not one
    void conn.dispatch(add, [1]);
  });

  it('pipe', () => {
    expectTypeOf(conn.dispatch(ticks, 3)).toEqualTypeOf<Promise<RpcStream<number>>>();
    // @ts-expect-error the input is a number
    void conn.dispatch(ticks, 'three');
  });

  it('state', () => {
    expectTypeOf(conn.dispatch(book, 'Dune')).toEqualTypeOf<
      Promise<{ state: { title: string; lines: string[] }; updates: RpcStream<{ line: string }> }>
    >();
    // @ts-expect-error the input is a string
    void conn.dispatch(book, { title: 'Dune' });
  });

  it('oneWay', () => {
    expectTypeOf(conn.dispatch(note, 'hi')).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error the input is a string
    void conn.dispatch(note, 1);
  });

  it('reversePipe takes [input, items] with items iterable or async iterable', () => {
    expectTypeOf(conn.dispatch(upload, ['f', [new Uint8Array(1)]])).toEqualTypeOf<Promise<number>>();
    async function* chunks() {
      yield new Uint8Array(1);
    }
    expectTypeOf(conn.dispatch(upload, ['f', chunks()])).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error items must be Uint8Arrays
    void conn.dispatch(upload, ['f', ['text']]);
    // @ts-expect-error the items are missing
    void conn.dispatch(upload, 'f');
  });

  it('transforming schemas: schema input in, schema output out', () => {
    expectTypeOf(conn.dispatch(parse, '42')).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error the caller passes what the input schema accepts: a string
    void conn.dispatch(parse, 42);
  });

  it('DispatchResult names the same types', () => {
    expectTypeOf<DispatchResult<typeof add>>().toEqualTypeOf<number>();
    expectTypeOf<DispatchResult<typeof ticks>>().toEqualTypeOf<RpcStream<number>>();
    expectTypeOf<ReturnType<DispatchResult<typeof ticks>['batches']>>().toEqualTypeOf<
      AsyncIterableIterator<number[]>
    >();
    expectTypeOf<DispatchResult<typeof note>>().toEqualTypeOf<void>();
  });

  it('options have units in their names', () => {
    void conn.dispatch(add, [1, 2], { timeoutMs: 100, signal: AbortSignal.timeout(1) });
    // @ts-expect-error `timeout` without a unit does not exist
    void conn.dispatch(add, [1, 2], { timeout: 100 });
  });
});

describe('implement infers the handler from the description', () => {
  it('rpc: parsed input in, schema input out, sync or async', () => {
    Rpc.implement(add, (input, ctx) => {
      expectTypeOf(input).toEqualTypeOf<[number, number]>();
      expectTypeOf(ctx).toEqualTypeOf<RpcContext>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(ctx.connection).toEqualTypeOf<Connection>();
      return input[0] + input[1];
    });
    Rpc.implement(add, async ([a, b]) => a + b);
    // @ts-expect-error the output is a number
    Rpc.implement(add, () => 'three');
    Rpc.implement(parse, (n) => {
      expectTypeOf(n).toEqualTypeOf<number>();
      return n * 2;
    });
  });

  it('pipe: an iterable or async iterable of items', () => {
    Rpc.implement(ticks, function* (n) {
      expectTypeOf(n).toEqualTypeOf<number>();
      yield n;
    });
    Rpc.implement(ticks, async function* (n) {
      yield n;
    });
    Rpc.implement(ticks, (n) => [n, n + 1]);
    // @ts-expect-error items are numbers
    Rpc.implement(ticks, () => ['a']);
    // @ts-expect-error a pipe returns items, not one value
    Rpc.implement(ticks, () => 1);
  });

  it('state: { state, updates }', () => {
    Rpc.implement(book, (title) => ({ state: { title, lines: [] }, updates: [{ line: 'x' }] }));
    // @ts-expect-error updates must be deltas
    Rpc.implement(book, (title) => ({ state: { title, lines: [] }, updates: [1] }));
  });

  it('oneWay returns nothing', () => {
    Rpc.implement(note, (text) => {
      expectTypeOf(text).toEqualTypeOf<string>();
    });
  });

  it('reversePipe: input, async iterable of items, ctx', () => {
    Rpc.implement(upload, async (name, items, ctx) => {
      expectTypeOf(name).toEqualTypeOf<string>();
      expectTypeOf(items).toEqualTypeOf<AsyncIterable<Uint8Array<ArrayBuffer>>>();
      expectTypeOf(ctx).toEqualTypeOf<RpcContext>();
      let n = 0;
      for await (const chunk of items) n += chunk.length;
      return n;
    });
    // @ts-expect-error the output is a number
    Rpc.implement(upload, async () => 'done');
  });
});

describe('other public types', () => {
  it('closed resolves with a CloseReason', () => {
    expectTypeOf(conn.closed).toEqualTypeOf<Promise<CloseReason>>();
    expectTypeOf<CloseReason['by']>().toEqualTypeOf<'local' | 'remote'>();
    expectTypeOf<NonNullable<CloseReason['code']>>().toEqualTypeOf<RpcErrorCode>();
  });

  it('Source is what for-await accepts', () => {
    expectTypeOf<number[]>().toExtend<Source<number>>();
    expectTypeOf<AsyncGenerator<number>>().toExtend<Source<number>>();
  });

  it('descriptions need a name; versions are numbers', () => {
    // @ts-expect-error the name is required
    Rpc.rpc({ input: z.void(), output: z.void() });
    // @ts-expect-error the version is a number
    Rpc.rpc({ name: 'x', version: '1', input: z.void(), output: z.void() });
  });
});
