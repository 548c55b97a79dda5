import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

const affine = (x: number): number => 3 * x + 1;

describe('MapReduce.map and mapUnordered', () => {
  it('map yields 10 000 outputs on 2 workers in input order, equal to a sequential map', async () => {
    const { result } = await runFixture<MapReduced<{ outputs: number[] }>>('mapreduce/map-order.ts', {
      args: ['10000', '2'],
    });
    expect(result.outputs).toEqual(Array.from({ length: 10_000 }, (_, i) => affine(i)));
    expect(result.workers.map((w) => w.workerIndex).sort()).toEqual([0, 1]);
    expect(result.aliveAfter).toEqual([]);
  });

  it('mapUnordered yields every input index exactly once, each with its own output', async () => {
    const { result } = await runFixture<MapReduced<{ pairs: [number, number][] }>>('mapreduce/map-unordered.ts', {
      args: ['10000', '2'],
    });
    const seen = new Array<number>(10_000).fill(0);
    for (const [output, index] of result.pairs) {
      expect(output).toBe(affine(index));
      seen[index]!++;
    }
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(result.pairs).toHaveLength(10_000);
    expect(result.aliveAfter).toEqual([]);
  });

  it('consumes AsyncIterable inputs (map, mapReduce, mapReduceCommutative)', async () => {
    const count = 3000;
    const { result } = await runFixture<MapReduced<{ mapped: number[]; concatenated: string; sum: number }>>(
      'mapreduce/async-input.ts',
      { args: [String(count)] },
    );
    const indices = Array.from({ length: count }, (_, i) => i);
    expect(result.mapped).toEqual(indices.map(affine));
    expect(result.concatenated).toBe(indices.map((i) => `w${i};`).join(''));
    expect(result.sum).toBe(indices.reduce((acc, i) => acc + affine(i), 0));
    expect(result.aliveAfter).toEqual([]);
  });

  it('on empty input, the maps yield nothing and the reducers and findMap give undefined', async () => {
    const { result } =
      await runFixture<MapReduced<{ results: Record<string, Record<string, unknown>> }>>('mapreduce/empty.ts');
    const expected = {
      mapped: [],
      unordered: [],
      sumIsUndefined: true,
      concatIsUndefined: true,
      foundIsUndefined: true,
    };
    expect(result.results).toEqual({ array: expected, generator: expected });
    expect(result.aliveAfter).toEqual([]);
  });
});
