import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Parallel, type ExitStatus, type Worker, type WorkerConnection, type WorkerRef } from '../../src/index.js';
import type { RpcStream } from '@cohort/rpc';

// Type tests only: nothing here runs, so the types below are never registered at run time.
const Counter = Parallel.make({
  name: 'type-test-counter',
  workerInit: z.object({ start: z.number() }),
  connectionInit: z.string(),
  initWorkerState: async ({ start }, { workerId }) => {
    expectTypeOf(start).toEqualTypeOf<number>();
    expectTypeOf(workerId).toEqualTypeOf<string>();
    return { count: start, names: new Map<string, number>() };
  },
  initConnectionState: (label, { workerState }) => {
    expectTypeOf(label).toEqualTypeOf<string>();
    expectTypeOf(workerState).toEqualTypeOf<{ count: number; names: Map<string, number> }>();
    return { label, since: new Date() };
  },
  functions: (f) => ({
    add: f.rpc({
      input: z.number(),
      output: z.number(),
      run: (n, ctx) => {
        expectTypeOf(n).toEqualTypeOf<number>();
        expectTypeOf(ctx.workerState).toEqualTypeOf<{ count: number; names: Map<string, number> }>();
        expectTypeOf(ctx.connectionState).toEqualTypeOf<{ label: string; since: Date }>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(ctx.workerId).toEqualTypeOf<string>();
        ctx.workerState.count += n;
        return ctx.workerState.count;
      },
    }),
    countdown: f.pipe({
      input: z.number(),
      item: z.string(),
      run: async function* (n, { connectionState }) {
        expectTypeOf(connectionState.label).toEqualTypeOf<string>();
        while (n > 0) yield `${n--}`;
      },
    }),
    log: f.oneWay({
      input: z.object({ text: z.string() }),
      run: ({ text }, { workerState }) => {
        expectTypeOf(text).toEqualTypeOf<string>();
        expectTypeOf(workerState.count).toEqualTypeOf<number>();
      },
    }),
    total: f.reversePipe({
      input: z.string(),
      item: z.number(),
      output: z.object({ sum: z.number() }),
      run: async (name, items, { connectionState }) => {
        expectTypeOf(name).toEqualTypeOf<string>();
        expectTypeOf(items).toEqualTypeOf<AsyncIterable<number>>();
        expectTypeOf(connectionState.since).toEqualTypeOf<Date>();
        let sum = 0;
        for await (const x of items) sum += x;
        return { sum };
      },
    }),
    watch: f.state({
      input: z.void(),
      state: z.array(z.string()),
      update: z.boolean(),
      run: (_q, { workerState }) => {
        expectTypeOf(workerState.names).toEqualTypeOf<Map<string, number>>();
        return { state: ['a'], updates: [true, false] };
      },
    }),
  }),
});

const Other = Parallel.make({
  name: 'type-test-other',
  functions: (f) => ({
    ping: f.rpc({
      input: z.void(),
      output: z.literal('pong'),
      run: (_q, ctx) => {
        // No initWorkerState / initConnectionState: both states are undefined.
        expectTypeOf(ctx.workerState).toEqualTypeOf<undefined>();
        expectTypeOf(ctx.connectionState).toEqualTypeOf<undefined>();
        return 'pong' as const;
      },
    }),
  }),
});

describe('Parallel types', () => {
  it('spawn and serve take the init the type declares, and return typed handles', () => {
    expectTypeOf(Counter.spawn({ init: { start: 1 }, connectionInit: 'x' })).resolves.toEqualTypeOf<
      Worker<'type-test-counter', string>
    >();
    expectTypeOf(
      Counter.spawn({ init: { start: 1 }, shutdownOn: 'connection-closed', connectionInit: 'x' }),
    ).resolves.toEqualTypeOf<WorkerConnection<'type-test-counter'>>();
    expectTypeOf(Other.spawn()).resolves.toEqualTypeOf<Worker<'type-test-other', void>>();
    expectTypeOf(Counter.serve({ start: 1 })).resolves.toEqualTypeOf<Worker<'type-test-counter', string>>();
    expectTypeOf(Counter.serve({ start: 1 }, { connectionInit: 'main' })).resolves.toEqualTypeOf<
      Worker<'type-test-counter', string>
    >();
    // @ts-expect-error serve's connectionInit must match the type's connectionInit
    void Counter.serve({ start: 1 }, { connectionInit: 5 });
    // @ts-expect-error init is required when workerInit does not accept undefined
    void Counter.spawn();
    // @ts-expect-error init must match workerInit
    void Counter.spawn({ init: { start: 'one' } });
    // @ts-expect-error serve's init must match workerInit
    void Counter.serve({ begin: 1 });
  });

  it('run infers argument and result types per kind', async () => {
    const w = await Counter.spawn({ init: { start: 1 }, connectionInit: 'x' });
    expectTypeOf(w.run(Counter.functions.add, 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(w.run(Counter.functions.countdown, 3)).toEqualTypeOf<Promise<RpcStream<string>>>();
    expectTypeOf(w.run(Counter.functions.log, { text: 'hi' })).toEqualTypeOf<Promise<void>>();
    expectTypeOf(w.run(Counter.functions.total, ['name', [1, 2]])).toEqualTypeOf<Promise<{ sum: number }>>();
    expectTypeOf(w.run(Counter.functions.watch, undefined)).toEqualTypeOf<
      Promise<{ state: string[]; updates: RpcStream<boolean> }>
    >();

    const conn = await w.connect('label');
    expectTypeOf(conn).toEqualTypeOf<WorkerConnection<'type-test-counter'>>();
    expectTypeOf(conn.run(Counter.functions.add, 2)).toEqualTypeOf<Promise<number>>();
    // Reverse pipes take any (async) iterable of items.
    expectTypeOf(
      conn.run(Counter.functions.total, [
        'n',
        (async function* () {
          yield 1;
        })(),
      ]),
    ).toEqualTypeOf<Promise<{ sum: number }>>();

    // @ts-expect-error add takes a number
    void w.run(Counter.functions.add, 'one');
    // @ts-expect-error log takes { text }
    void w.run(Counter.functions.log, 'hi');
    // @ts-expect-error total's items are numbers
    void conn.run(Counter.functions.total, ['n', ['x']]);
    // @ts-expect-error connect takes the connectionInit the type declares
    void w.connect(42);
  });

  it("a function of one worker type is a type error on another type's worker", async () => {
    const counter = await Counter.spawn({ init: { start: 1 }, connectionInit: 'x' });
    const other = await Other.spawn();
    expectTypeOf(other.run(Other.functions.ping, undefined)).toEqualTypeOf<Promise<'pong'>>();
    // @ts-expect-error Counter's function on Other's worker
    void other.run(Counter.functions.add, 1);
    // @ts-expect-error Other's function on Counter's worker
    void counter.run(Other.functions.ping, undefined);
    const conn = await counter.connect('y');
    // @ts-expect-error Other's function on a connection to a Counter
    void conn.run(Other.functions.ping, undefined);
  });

  it('worker handles and refs', async () => {
    const w = await Counter.spawn({ init: { start: 1 }, connectionInit: 'x' });
    expectTypeOf(w.ref).toEqualTypeOf<WorkerRef<'type-test-counter'>>();
    expectTypeOf(w.exited).toEqualTypeOf<Promise<ExitStatus>>();
    expectTypeOf(w.shutdown()).toEqualTypeOf<Promise<ExitStatus>>();
    expectTypeOf(w.pid).toEqualTypeOf<number>();
    expectTypeOf(Counter.connect(w.ref, 'z')).toEqualTypeOf<Promise<WorkerConnection<'type-test-counter'>>>();
    expectTypeOf(Parallel.connectAndShutdownOnDisconnect(w.ref, 'z')).toEqualTypeOf<
      Promise<WorkerConnection<'type-test-counter'>>
    >();
    expectTypeOf<z.infer<typeof Parallel.workerRef>>().toMatchTypeOf<WorkerRef>();
    // @ts-expect-error connect needs the connectionInit
    void Counter.connect(w.ref);
  });
});
