import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

interface FindResult {
  found: number | null;
  isUndefined: boolean;
  pulled: number;
  sourceClosed: boolean;
}

/**
 * The most inputs a findMap over 2 workers may pull past its target (50 000): each worker's input stream holds at
 * most one credit window (1 MiB, the default) of encoded inputs, numbers of at least 3 bytes each, plus a batch
 * (at most 8192 inputs) being mapped.
 */
const PULLED_BOUND = 50_000 + 2 * (Math.ceil((1024 * 1024) / 3) + 8192);

describe('MapReduce.findMap', () => {
  it('stops early: finding input 300 of 1 000 000 maps only a small fraction of them', async () => {
    const { result, files } = await runFixture<MapReduced<FindResult>>('mapreduce/find-map.ts', {
      args: ['array'],
      keepFiles: ['mapped.log'],
    });
    const mapLog = (files['mapped.log'] ?? '')
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
    expect(result.found).toBe(3000);
    expect(mapLog).toContain(300);
    // Every mapped input is logged by the worker that mapped it: far fewer than all were.
    expect(mapLog.length).toBeGreaterThan(300);
    expect(mapLog.length).toBeLessThan(100_000);
    expect(new Set(mapLog).size).toBe(mapLog.length);
    expect(result.aliveAfter).toEqual([]);
  });

  it('terminates on an infinite generator, having pulled a bounded number of inputs', async () => {
    const { result } = await runFixture<MapReduced<FindResult>>('mapreduce/find-map.ts', { args: ['infinite'] });
    expect(result.found).toBe(500_000);
    expect(result.pulled).toBeGreaterThan(50_000);
    // Lazy consumption: beyond the target, at most what the workers' input streams hold, never the whole (infinite)
    // input. How much that is depends on how fast the workers go; its bound does not.
    expect(result.pulled).toBeLessThan(PULLED_BOUND);
    expect(result.aliveAfter).toEqual([]);
  });

  it('terminates on an infinite async generator and closes it (its finally runs)', async () => {
    const { result } = await runFixture<MapReduced<FindResult>>('mapreduce/find-map.ts', { args: ['async-infinite'] });
    expect(result.found).toBe(500_000);
    expect(result.pulled).toBeLessThan(PULLED_BOUND);
    expect(result.sourceClosed).toBe(true);
    expect(result.aliveAfter).toEqual([]);
  });

  it('gives undefined when no input maps to a value', async () => {
    const { result } = await runFixture<MapReduced<FindResult>>('mapreduce/find-map.ts', { args: ['none'] });
    expect(result.isUndefined).toBe(true);
    expect(result.aliveAfter).toEqual([]);
  });
});
