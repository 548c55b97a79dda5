import { describe, expect, it } from 'vitest';
import { waitGone } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';

describe('cleanup', () => {
  it('50 spawn/shutdown cycles (5 of them failed spawns) leave no extra file descriptor or child process in the master', async () => {
    const { result, workerPids } = await runFixture<{
      cycles: number;
      failedSpawns: number;
      before: string[];
      after: string[];
      childrenBefore: number[];
      childrenAfter: number[];
      elapsedMs: number;
    }>('parallel/cycles.mjs', { args: ['50'], timeoutMs: 110_000 });
    expect(result.cycles).toBe(50);
    expect(result.failedSpawns).toBe(5);
    expect(workerPids).toHaveLength(51);
    expect(result.childrenBefore).toEqual([]);
    expect(result.childrenAfter).toEqual([]);
    expect(result.after).toEqual(result.before);
    // About 10 s alone on 2 cores; the margin is for a machine busy with other suites. One descriptor leaked per
    // cycle, or per failed spawn, would show 50 or 5 times over.
  }, 120_000);

  it('Ctrl-C (SIGINT to the process group) ends the master and every worker, busy, idle or nested', async () => {
    // privateTmp: TMPDIR is the run's (sockets.test.ts proves nothing of the app is left there after a Ctrl-C).
    const run = startFixture('parallel/ctrl-c.ts', { detached: true, privateTmp: true });
    const { pids } = await run.waitFor<{ pids: number[] }>('READY');
    await run.waitNoted('spinning');
    // What a terminal does on Ctrl-C: the signal goes to the whole foreground process group.
    process.kill(-run.pid, 'SIGINT');
    const survivors = await waitGone([run.pid, ...pids], 5000);
    const end = await run.finish();
    expect(survivors).toEqual([]);
    expect(end.signal).toBe('SIGINT');
    expect(end.workerPids.sort()).toEqual([...pids].sort());
  });
});
