import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

describe('MapReduce batching', () => {
  it('tiny maps are not bound by one round trip per input: batched throughput is many times the unbatched one', async () => {
    const { result } = await runFixture<MapReduced<{ batched: number; unbatched: number }>>('mapreduce/throughput.ts', {
      args: ['300000', '3000'],
    });
    console.log(
      `tiny maps on 2 workers: ${result.batched} inputs/s batched, ${result.unbatched} inputs/s one per call`,
    );
    // Both rates include spawning the workers; a round trip per input caps the unbatched one near 10⁴/s.
    expect(result.batched).toBeGreaterThan(10 * result.unbatched);
    expect(result.aliveAfter).toEqual([]);
  });
});
