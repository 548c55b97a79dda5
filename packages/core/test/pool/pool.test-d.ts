import type { RpcStream } from '@cohort/rpc';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Parallel, type Pool, type PoolStats } from '../../src/index.js';

// Type tests only: nothing here runs.
const Hasher = Parallel.make({
  name: 'type-test-hasher',
  workerInit: z.object({ salt: z.string() }),
  connectionInit: z.string().optional(),
  functions: (f) => ({
    hash: f.rpc({ input: z.string(), output: z.number(), run: (s) => s.length }),
    chunks: f.pipe({
      input: z.number(),
      item: z.string(),
      run: function* (n) {
        for (let i = 0; i < n; i++) yield `${i}`;
      },
    }),
    sum: f.reversePipe({
      input: z.void(),
      item: z.number(),
      output: z.number(),
      run: async (_i, items) => {
        let s = 0;
        for await (const x of items) s += x;
        return s;
      },
    }),
    note: f.oneWay({ input: z.string(), run: () => undefined }),
  }),
});
const Other = Parallel.make({
  name: 'type-test-other',
  functions: (f) => ({ ping: f.rpc({ input: z.void(), output: z.void(), run: () => undefined }) }),
});

describe('Type.pool', () => {
  it('requires init exactly when the worker type does', () => {
    expectTypeOf(Hasher.pool).toBeCallableWith({ init: { salt: 's' }, size: 2 });
    // @ts-expect-error: workerInit requires a value
    void (() => Hasher.pool({ size: 2 }));
    expectTypeOf(Other.pool).toBeCallableWith();
    expectTypeOf(Hasher.pool({ init: { salt: 's' } })).resolves.toEqualTypeOf<Pool<'type-test-hasher'>>();
  });

  it('pool.run has the typing of worker.run, plus its own options', async () => {
    const pool = await Hasher.pool({ init: { salt: 's' }, size: { min: 1, max: 4 }, recycle: { maxCalls: 10 } });
    expectTypeOf(pool.run(Hasher.functions.hash, 'x', { timeoutMs: 100, retries: 1 })).resolves.toEqualTypeOf<number>();
    expectTypeOf(pool.run(Hasher.functions.chunks, 3)).resolves.toEqualTypeOf<RpcStream<string>>();
    expectTypeOf(pool.run(Hasher.functions.sum, [undefined, [1, 2]])).resolves.toEqualTypeOf<number>();
    expectTypeOf(pool.run(Hasher.functions.note, 'n')).resolves.toEqualTypeOf<void>();
    // @ts-expect-error: a function of another worker type
    void (() => pool.run(Other.functions.ping, undefined));
    // @ts-expect-error: the input's type
    void (() => pool.run(Hasher.functions.hash, 1));
    expectTypeOf(pool.stats()).toEqualTypeOf<PoolStats>();
    expectTypeOf(pool.close({ drain: false })).resolves.toEqualTypeOf<void>();
  });
});
