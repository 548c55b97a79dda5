import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

interface Rss {
  startMiB: number;
  baselineMiB: number;
  maxMiB: number;
  growthMiB: number;
  samples: number;
}

// Growth is measured from a baseline taken after warm-up (JIT, first buffers, connections), to the largest
// sample: a flat run only shows the garbage collector's saw-tooth.
describe('MapReduce memory stays bounded in the master', () => {
  it('10 000 000 inputs from a generator through mapUnordered: RSS flat', async () => {
    const count = 10_000_000;
    const { result } = await runFixture<MapReduced<{ received: number; odd: number; ms: number; itemsPerSecond: number; rss: Rss }>>('mapreduce/memory-flat.ts', {
      args: [String(count)],
      timeoutMs: 60_000,
    });
    console.log(`memory-flat: ${count} items in ${Math.round(result.ms)} ms (${result.itemsPerSecond}/s), rss`, result.rss);
    expect(result.received).toBe(count);
    expect(result.odd).toBe(count / 2);
    expect(result.rss.samples).toBeGreaterThan(5);
    expect(result.rss.growthMiB).toBeLessThan(100);
    expect(result.aliveAfter).toEqual([]);
  }, 70_000);

  it.each([
    ['bytes', 'Uint8Array in and out'],
    ['objects', '{ id, data: Uint8Array } in, a number out'],
    ['outputs', 'an index in, a Uint8Array out'],
  ])('200 items of 1 MiB (%s: %s) stream through without buffering them all', async (scenario) => {
    const { result } = await runFixture<MapReduced<{ received: number; wrong: number; rss: Rss }>>('mapreduce/large-items.ts', { args: [scenario, '200', '1'] });
    console.log(`large-items ${scenario}: rss`, result.rss);
    expect(result.received).toBe(200);
    expect(result.wrong).toBe(0);
    // 200 MiB go through; a few batches in flight per worker may be held at once (measured 20-65 MiB after warm-up,
    // 60-95 MiB from the start, spawns included), never most of them (before batches were bounded by their bytes,
    // `objects` and `outputs` held 300-550 MiB).
    expect(result.rss.growthMiB).toBeLessThan(90);
    expect(result.rss.maxMiB - result.rss.startMiB).toBeLessThan(140);
    expect(result.aliveAfter).toEqual([]);
  });
});
