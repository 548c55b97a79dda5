import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { MapReduce, type MapReduceProgress } from '../../src/index.js';

// Type tests only: nothing here runs, so the definition below is never registered at run time.
const Lengths = MapReduce.define({
  name: 'type-test-lengths',
  param: z.object({ min: z.number() }),
  input: z.string(),
  output: z.number(),
  init: (param, { workerIndex }) => {
    expectTypeOf(param).toEqualTypeOf<{ min: number }>();
    expectTypeOf(workerIndex).toEqualTypeOf<number>();
    return { ...param, workerIndex };
  },
  map: (state, text) => {
    expectTypeOf(state).toEqualTypeOf<{ min: number; workerIndex: number }>();
    expectTypeOf(text).toEqualTypeOf<string>();
    return text.length >= state.min ? text.length : 0;
  },
  combine: (a, b) => {
    expectTypeOf(a).toEqualTypeOf<number>();
    return a + b;
  },
});

const NoInit = MapReduce.define({
  name: 'type-test-no-init',
  input: z.number(),
  output: z.string(),
  map: (state, x) => `${x}${String(state)}`,
});

async function* lines(): AsyncGenerator<string> {
  yield 'a';
}

describe('MapReduce types', () => {
  it('infers outputs of every operation, from arrays and async iterables', () => {
    const options = { param: { min: 2 }, workers: 2 };
    expectTypeOf(MapReduce.map(Lengths, ['a'], options)).toEqualTypeOf<AsyncGenerator<number>>();
    expectTypeOf(MapReduce.mapUnordered(Lengths, lines(), options)).toEqualTypeOf<AsyncGenerator<[number, number]>>();
    expectTypeOf(MapReduce.findMap(Lengths, ['a'], options)).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(MapReduce.mapReduce(Lengths, new Set(['a']), options)).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(MapReduce.mapReduceCommutative(Lengths, lines(), options)).toEqualTypeOf<
      Promise<number | undefined>
    >();
    expectTypeOf(MapReduce.map(NoInit, [1])).toEqualTypeOf<AsyncGenerator<string>>();
  });

  it('types the options: param from the schema, progress reports', () => {
    void MapReduce.map(Lengths, ['a'], {
      param: { min: 1 },
      onProgress: (p) => expectTypeOf(p).toEqualTypeOf<MapReduceProgress>(),
      trace: 'trace.json',
    });
    // @ts-expect-error the param must match its schema
    void MapReduce.map(Lengths, ['a'], { param: { min: 'one' } });
  });

  it('rejects inputs of the wrong type', () => {
    // @ts-expect-error inputs are strings
    void MapReduce.map(Lengths, [1, 2], { param: { min: 1 } });
    const numbers = (async function* () {
      yield 1;
    })();
    // @ts-expect-error an async iterable of the wrong type
    void MapReduce.mapReduce(Lengths, numbers, { param: { min: 1 } });
  });

  it('rejects a map returning the wrong type', () => {
    MapReduce.define({
      name: 'type-test-wrong-output',
      input: z.string(),
      output: z.number(),
      // @ts-expect-error the output schema says number
      map: (_state, text) => text,
    });
  });
});
