import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

interface ErrorReport {
  name?: string;
  message?: string;
  code?: string;
  data?: { index?: number; name?: string };
  remoteName?: string;
}

describe('MapReduce stops its workers', () => {
  it.each(['break', 'unordered', 'throw'])(
    'when the consumer abandons an infinite map (%s): pids gone at once',
    async (scenario) => {
      const { result } = await runFixture<
        MapReduced<{ received: number; pulled: number; sourceClosed: boolean; error: ErrorReport | null }>
      >('mapreduce/break-early.ts', {
        args: [scenario],
      });
      expect(result.received).toBe(20_000);
      expect(result.workers).toHaveLength(2);
      expect(result.aliveAfter).toEqual([]);
      // The infinite source was pulled only a bounded distance ahead of the consumer.
      expect(result.pulled).toBeLessThan(20_000 + 200_000);
      // And the source was closed: its `finally` ran.
      expect(result.sourceClosed).toBe(true);
      if (scenario === 'throw') expect(result.error?.message).toBe('consumer gave up');
      else expect(result.error).toBeNull();
    },
  );

  it.each(['map', 'unordered', 'reduce', 'find'])(
    'when map throws (%s): RemoteError naming input 777, workers gone',
    async (operation) => {
      const { result } = await runFixture<MapReduced<{ received: number; error: ErrorReport | null }>>(
        'mapreduce/throwing-map.ts',
        { args: [operation] },
      );
      expect(result.error?.name).toBe('RemoteError');
      expect(result.error?.message).toMatch(/threw on input 777\b/);
      expect(result.error?.message).toContain('RangeError: refusing 777');
      expect(result.error?.data).toEqual({ index: 777, name: 'RangeError' });
      if (operation === 'map') expect(result.received).toBeLessThanOrEqual(777);
      expect(result.workers).toHaveLength(2);
      expect(result.aliveAfter).toEqual([]);
    },
  );

  it('when the input iterator throws: that error, workers gone', async () => {
    const { result } = await runFixture<MapReduced<{ error: ErrorReport | null }>>('mapreduce/source-throws.ts');
    expect(result.error).toMatchObject({ name: 'SourceError', message: 'the source broke at 500' });
    expect(result.workers).toHaveLength(2);
    expect(result.aliveAfter).toEqual([]);
  });

  it('when a worker process exits mid-map: CONNECTION_CLOSED naming the worker and its exit code, the other gone too', async () => {
    const { result } = await runFixture<MapReduced<{ error: ErrorReport | null }>>('mapreduce/worker-fails.ts', {
      args: ['exit'],
    });
    expect(result.error).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
    expect(result.error?.message).toMatch(/worker "crash-\d" \(pid \d+\) exited with code 3/);
    expect(result.workers).toHaveLength(2);
    expect(result.aliveAfter).toEqual([]);
  });

  it("when init throws in one worker: SPAWN_FAILED with init's message, the workers that did start gone", async () => {
    const { result } = await runFixture<MapReduced<{ error: ErrorReport | null }>>('mapreduce/worker-fails.ts', {
      args: ['init'],
    });
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toContain('init refuses worker 1');
    expect(result.workers.map((w) => w.workerIndex).sort()).toEqual([0, 1, 2]);
    expect(result.aliveAfter).toEqual([]);
  });

  it('when the param fails its schema: SPAWN_FAILED that says so, no worker left', async () => {
    const { result } = await runFixture<MapReduced<{ error: ErrorReport | null }>>('mapreduce/worker-fails.ts', {
      args: ['param'],
    });
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toMatch(/invalid param for map-reduce crash: .*expected number/);
    expect(result.aliveAfter).toEqual([]);
  });
});
