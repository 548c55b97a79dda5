import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

interface Progress {
  done: number;
  total?: number;
}

interface TraceEvent {
  ph: string;
  pid: number;
  tid: number;
  name: string;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

function expectMonotone(progress: Progress[], count: number): void {
  expect(progress.length).toBeGreaterThan(1);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThan(progress[i - 1]!.done);
  expect(progress[0]!.done).toBeGreaterThan(0);
  expect(progress.at(-1)!.done).toBe(count);
}

describe('MapReduce progress and trace', () => {
  it('onProgress is monotone, ends at done == count, and has total exactly when the input is an array', async () => {
    const count = 20_000;
    const { result } = await runFixture<
      MapReduced<{ sum: number; mapped: number; fromArray: Progress[]; fromGenerator: Progress[] }>
    >('mapreduce/progress.ts', {
      args: [String(count)],
    });
    expect(result.mapped).toBe(count);
    expectMonotone(result.fromArray, count);
    expect(result.fromArray.every((p) => p.total === count)).toBe(true);
    expectMonotone(result.fromGenerator, count);
    expect(result.fromGenerator.every((p) => !('total' in p))).toBe(true);
    expect(result.aliveAfter).toEqual([]);
  });

  it('trace writes a Chrome trace-event file: one named track per worker, one slice per batch', async () => {
    const { result, files } = await runFixture<MapReduced<{ sum: number }>>('mapreduce/trace.ts', {
      keepFiles: ['trace.json'],
    });
    const output = files['trace.json'];
    expect(result.sum).toBe(599_990_000);
    expect(output).toBeDefined();
    const trace = JSON.parse(output!) as { traceEvents: TraceEvent[] };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    const threadNames = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(threadNames.map((e) => e.args?.name).sort()).toEqual(['affine-0', 'affine-1']);
    const slices = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.length).toBeGreaterThan(1);
    let inputs = 0;
    for (const s of slices) {
      expect(typeof s.ts).toBe('number');
      expect(s.dur).toBeGreaterThan(0);
      expect(threadNames.some((t) => t.tid === s.tid)).toBe(true);
      expect(s.name).toMatch(/^affine \[\d+…\d+\]$/);
      inputs += Number(s.args?.inputs);
    }
    expect(inputs).toBe(20_000);
    expect(result.aliveAfter).toEqual([]);
  });

  it('a trace that cannot be written does not hide a failing map; a successful one then rejects with the write error', async () => {
    const { result } = await runFixture<
      MapReduced<{ failingMap: { name: string; message: string }; succeedingMap: { message: string; code?: string } }>
    >('mapreduce/trace.ts', { args: ['unwritable'] });
    expect(result.failingMap).toMatchObject({ name: 'RemoteError' });
    expect(result.failingMap.message).toContain('777');
    expect(result.succeedingMap).toMatchObject({ code: 'ENOENT' });
    expect(result.aliveAfter).toEqual([]);
  });
});
