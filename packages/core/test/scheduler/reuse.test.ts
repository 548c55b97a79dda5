import { describe, expect, it } from 'vitest';
import { runFixture } from './run-fixture.js';

interface InfoOut {
  tag: string;
  pid: number;
  workerId: string;
  workerIndex: number | null;
  env: string | null;
}
type Result = { ok: true; value: InfoOut } | { ok: false; error: string };

describe('Scheduler workers', () => {
  it('reuses one worker for consecutive tasks and starts no more than needed (on demand, maxWorkers 4)', async () => {
    const { result } = await runFixture<{ results: Result[]; contextInMaster: null }>('reuse');
    expect(result.results.map((r) => r.ok)).toEqual([true, true, true]);
    const values = result.results.map((r) => (r.ok ? r.value : undefined));
    expect(values.map((v) => v?.tag)).toEqual(['t1', 't2', 't3']);
    expect(new Set(values.map((v) => v?.pid)).size).toBe(1);
    expect(result.workers).toHaveLength(1);
    expect(values[0]?.pid).toBe(result.workers[0]?.pid);
    expect(result.aliveAfter).toEqual([]);
  });
});
