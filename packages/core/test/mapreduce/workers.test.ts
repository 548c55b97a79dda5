import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { MapReduced } from './fixtures/definitions.js';

interface Tagged {
  x: number;
  pid: number;
  workerIndex: number;
  token: string;
  salted: string;
}

describe('MapReduce workers, param and init', () => {
  it('init runs once per worker with a unique workerIndex 0..n-1 and the param; every map sees that state', async () => {
    const { result } = await runFixture<MapReduced<{ outputs: Tagged[] }>>('mapreduce/init-once.ts', { args: ['3'] });
    const records = result.workers;
    expect(records).toHaveLength(3);
    expect(records.map((r) => r.workerIndex).sort()).toEqual([0, 1, 2]);
    expect(new Set(records.map((r) => r.pid)).size).toBe(3);
    for (const r of records) expect(r.param).toEqual({ salt: 'pepper-' });

    expect(result.outputs.map((o) => o.x)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    const tokenOfPid = new Map<number, string>();
    for (const out of result.outputs) {
      expect(out.salted).toBe(`pepper-${out.x}`);
      // One state per worker: each worker's outputs all carry the token its init made, and its own index.
      if (!tokenOfPid.has(out.pid)) tokenOfPid.set(out.pid, out.token);
      expect(out.token).toBe(tokenOfPid.get(out.pid));
      expect(out.workerIndex).toBe(records.find((r) => r.pid === out.pid)!.workerIndex);
    }
    expect([...tokenOfPid.keys()].every((pid) => records.some((r) => r.pid === pid))).toBe(true);
    expect(result.aliveAfter).toEqual([]);
  });

  it('each worker takes work once it is ready, not once all are: a slow starter finds the work done, and is still stopped', async () => {
    const { result, files } = await runFixture<MapReduced<{ outputs: { x: number; workerIndex: number }[] }>>(
      'mapreduce/staggered.ts',
      { keepFiles: ['trace.json'] },
    );
    const output = files['trace.json'];
    expect(result.outputs.map((o) => o.x)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(new Set(result.outputs.map((o) => o.workerIndex))).toEqual(new Set([0]));
    // Worker 1 did start (its init ran), and the operation waited for it to stop it.
    expect(result.workers.map((w) => w.workerIndex).sort()).toEqual([0, 1]);
    // One track per worker in the trace, the idle one included.
    const events = (JSON.parse(output!) as { traceEvents: { ph: string; name: string; args?: { name?: string } }[] })
      .traceEvents;
    const tracks = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name);
    expect(tracks.sort()).toEqual(['staggered-0', 'staggered-1']);
    expect(result.aliveAfter).toEqual([]);
  });

  it('workers defaults to os.availableParallelism()', async () => {
    const { result } =
      await runFixture<MapReduced<{ sum: number; availableParallelism: number }>>('mapreduce/default-workers.ts');
    expect(result.availableParallelism).toBe(availableParallelism());
    expect(result.workers).toHaveLength(availableParallelism());
    expect(result.workers.map((w) => w.workerIndex).sort((a, b) => a - b)).toEqual(
      Array.from({ length: availableParallelism() }, (_, i) => i),
    );
    expect(result.sum).toBe(1_499_500);
    expect(result.aliveAfter).toEqual([]);
  });

  it('hosts: local hosts add up their workers, with indices unique across hosts', async () => {
    const { result } = await runFixture<MapReduced<{ sum: number | null }>>('mapreduce/hosts.ts', { args: ['local'] });
    expect(result.sum).toBe(1_499_500);
    expect(result.workers.map((w) => w.workerIndex).sort()).toEqual([0, 1, 2]);
    expect(result.aliveAfter).toEqual([]);
  });

  it('hosts: a host of another kind is launched; when its launch fails, the map-reduce rejects with that error and the local worker is gone', async () => {
    const { result } = await runFixture<MapReduced<{ error: { name: string; code: string; message: string } | null }>>(
      'mapreduce/hosts.ts',
      { args: ['remote'] },
    );
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toContain('ssh:builder@elsewhere');
    // The local worker may have started meanwhile: runFixture proves it gone.
    expect(result.workers.length).toBeLessThanOrEqual(1);
  });

  it('hosts: no workers at all is a CohortError', async () => {
    const { result } = await runFixture<MapReduced<{ error: { name: string; code: string; message: string } | null }>>(
      'mapreduce/hosts.ts',
      { args: ['zero'] },
    );
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'INVALID_ARGUMENT' });
    expect(result.error?.message).toMatch(/at least one worker/);
    expect(result.workers).toEqual([]);
  });
});
