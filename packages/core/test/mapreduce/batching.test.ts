// Map-reduce's two pure policies on their own: how big the next batch is, and releasing results in input order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES, BatchSizer } from '../../src/mapreduce/batch-sizer.js';
import { InOrderBuffer, type Run } from '../../src/mapreduce/in-order-buffer.js';

describe('BatchSizer', () => {
  it('without batching, every batch is one input whatever the replies say', () => {
    const sizer = new BatchSizer(false);
    sizer.observe(1, 0.001, 10);
    sizer.observe(1, 500, 10 * BATCH_BYTES);
    expect(sizer.size).toBe(1);
  });

  it('grows toward ~10 ms of work per batch for tiny maps, bounded by 8192', () => {
    const sizer = new BatchSizer(true);
    const first = sizer.size;
    for (let i = 0; i < 30; i++) sizer.observe(sizer.size, sizer.size * 0.0001, sizer.size * 8);
    expect(sizer.size).toBeGreaterThan(first);
    expect(sizer.size).toBeLessThanOrEqual(8192);
  });

  it('shrinks to a couple of inputs for slow maps (moving halfway, it settles at 2)', () => {
    const sizer = new BatchSizer(true);
    for (let i = 0; i < 30; i++) sizer.observe(sizer.size, sizer.size * 50, sizer.size * 8);
    expect(sizer.size).toBeLessThanOrEqual(2);
  });

  it('drops at once (not halfway) when outputs would exceed the batch byte budget', () => {
    const sizer = new BatchSizer(true);
    for (let i = 0; i < 30; i++) sizer.observe(sizer.size, sizer.size * 0.0001, sizer.size * 8);
    const before = sizer.size;
    // Each output is now 64 KiB: 16 of them fill a batch.
    sizer.observe(before, before * 0.0001, before * 64 * 1024);
    expect(sizer.size).toBe(16);
  });

  it('never proposes less than one input, whatever it observes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 10_000 }),
            fc.double({ min: 0, max: 1e4, noNaN: true }),
            fc.integer({ min: 0, max: 2 ** 31 }),
          ),
        ),
        (observations) => {
          const sizer = new BatchSizer(true);
          for (const [items, ms, bytes] of observations) sizer.observe(items, ms, bytes);
          return Number.isInteger(sizer.size) && sizer.size >= 1 && sizer.size <= 8192;
        },
      ),
    );
  });
});

describe('InOrderBuffer', () => {
  const runsOf = (sizes: number[]): Run[] => {
    let start = 0;
    return sizes.map((count) => {
      const run = { start, count };
      start += count;
      return run;
    });
  };

  it('ordered: whatever order runs arrive in, they are released in input order, each once, as soon as possible', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 40 })
          .chain((sizes) =>
            fc.tuple(
              fc.constant(runsOf(sizes)),
              fc.shuffledSubarray(runsOf(sizes), { minLength: sizes.length, maxLength: sizes.length }),
            ),
          ),
        ([runs, arrival]) => {
          const buffer = new InOrderBuffer<Run>(true);
          const released: Run[] = [];
          let covered = 0;
          for (const run of arrival) {
            buffer.accept(run);
            for (let next = buffer.shift(); next !== undefined; next = buffer.shift()) released.push(next);
            // Everything contiguous from 0 has been released, nothing beyond it.
            const arrived = new Set(arrival.slice(0, arrival.indexOf(run) + 1).map((r) => r.start));
            while (arrived.has(covered)) covered += runs.find((r) => r.start === covered)!.count;
            expect(released.reduce((n, r) => n + r.count, 0)).toBe(covered);
          }
          expect(released).toEqual(runs);
          expect(buffer.size).toBe(0);
        },
      ),
    );
  });

  it('unordered: runs pass straight through in arrival order', () => {
    const buffer = new InOrderBuffer<Run>(false);
    buffer.accept({ start: 10, count: 5 });
    buffer.accept({ start: 0, count: 10 });
    expect(buffer.size).toBe(2);
    expect([buffer.shift(), buffer.shift(), buffer.shift()]).toEqual([
      { start: 10, count: 5 },
      { start: 0, count: 10 },
      undefined,
    ]);
  });

  it('counts held runs as well as released ones in size (the engine bounds memory by it)', () => {
    const buffer = new InOrderBuffer<Run>(true);
    buffer.accept({ start: 5, count: 5 });
    expect(buffer.shift()).toBeUndefined();
    expect(buffer.size).toBe(1);
    buffer.accept({ start: 0, count: 5 });
    expect(buffer.size).toBe(2);
  });
});
