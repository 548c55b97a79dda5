import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

const affine = (x: number): number => 3 * x + 1;

describe('MapReduce.mapReduceCommutative and mapReduce', () => {
  it('equal the sequential folds: a commutative sum and an ordered (non-commutative) concatenation', async () => {
    const { result } = await runFixture<MapReduced<{ results: Record<string, unknown> }>>('mapreduce/reduce.ts', {
      args: ['50000'],
    });
    const r = result.results;
    for (const batching of [true, false]) {
      const count = batching ? 50_000 : 2000;
      const indices = Array.from({ length: count }, (_, i) => i);
      expect(r[`sum-${batching}`]).toBe(indices.reduce((acc, i) => acc + affine(i), 0));
      expect(r[`sum-${batching}`]).toBe(r[`sumExpected-${batching}`]);
      expect(r[`concat-${batching}`]).toBe(indices.map((i) => `s${i};`).join(''));
    }
    expect(result.aliveAfter).toEqual([]);
  });

  it('property: mapReduce and mapReduceCommutative equal sequential folds for random inputs and worker counts', async () => {
    const foldCase = fc.record({
      numbers: fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { maxLength: 3000 }),
      words: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3000 }),
      workers: fc.integer({ min: 1, max: 3 }),
      batching: fc.boolean(),
      asGenerator: fc.boolean(),
    });
    // One fixture run evaluates every generated case (each spawning its own workers), so the property costs one
    // process start, not one per case.
    const cases = fc.sample(foldCase, { numRuns: 6, seed: Number(process.env.MR_SEED ?? Date.now() % 2 ** 31) });
    cases.push({ numbers: [], words: [], workers: 3, batching: true, asGenerator: true });
    cases.push({ numbers: [7], words: ['only'], workers: 4, batching: false, asGenerator: false });
    const { result } = await runFixture<
      MapReduced<{
        results: {
          sum: number | null;
          sumIsUndefined: boolean;
          concat: string | null;
          concatIsUndefined: boolean;
          mapped: string[];
        }[];
      }>
    >('mapreduce/fold-cases.ts', { input: cases, timeoutMs: 140_000 });
    expect(result.results).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const got = result.results[i]!;
      const context = `case ${i}: ${c.numbers.length} numbers, ${c.words.length} words, ${c.workers} workers, batching ${c.batching}`;
      if (c.numbers.length === 0) expect(got.sumIsUndefined, context).toBe(true);
      else expect(got.sum, context).toBe(c.numbers.map(affine).reduce((a, b) => a + b));
      if (c.words.length === 0) expect(got.concatIsUndefined, context).toBe(true);
      else expect(got.concat, context).toBe(c.words.map((w) => `${w};`).reduce((a, b) => a + b));
      expect(got.mapped, context).toEqual(c.words.map((w) => `${w};`));
    });
    const workerCounts = cases.map((c) => c.workers);
    // Three operations per case, each with its own workers; every worker recorded itself once.
    expect(result.workers).toHaveLength(3 * workerCounts.reduce((a, b) => a + b, 0));
    expect(result.aliveAfter).toEqual([]);
  }, 150_000);
});
