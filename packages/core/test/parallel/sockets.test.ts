import { describe, expect, it } from 'vitest';
import { waitGone } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import {
  abstractSocketNames,
  abstractSocketNamesLeft,
  socketDirectoriesIn,
  type SocketSpaceReport,
} from '../support/sockets.js';

interface Ended {
  signal: NodeJS.Signals | null;
  space: SocketSpaceReport;
  /** The app's socket directories in the run's TMPDIR, and its abstract names, once every process is gone. */
  directories: string[];
  names: string[];
}

/**
 * Starts `parallel/sockets.ts <scenario>` with the run's own TMPDIR, ends it with `signal` (to the master, or with
 * `group` to its process group as Ctrl-C does), waits for every process to be gone, then looks for what the app
 * left: a `cohort-*` entry in TMPDIR, or one of its abstract names in /proc/net/unix.
 */
async function endWith(scenario: 'busy' | 'idle', signal: NodeJS.Signals, { group = false } = {}): Promise<Ended> {
  const run = startFixture('parallel/sockets.ts', { args: [scenario], privateTmp: true, detached: group });
  return run.guard(async () => {
    const { pids, space } = await run.waitFor<{ pids: number[]; space: SocketSpaceReport }>('READY');
    if (scenario === 'busy') await run.waitNoted('spinning');
    // While it runs: abstract names, and nothing in TMPDIR.
    expect(space.abstract).toBe(true);
    expect(abstractSocketNames(space.base)).toHaveLength(4);
    expect(socketDirectoriesIn(run.dir)).toEqual([]);
    process.kill(group ? -run.pid : run.pid, signal);
    expect(await waitGone([run.pid, ...pids], 15_000)).toEqual([]);
    const directories = socketDirectoriesIn(run.dir);
    const names = await abstractSocketNamesLeft(space.base);
    const end = await run.finish();
    expect(end.workerPids.sort()).toEqual([...pids].sort());
    return { signal: end.signal, space, directories, names };
  });
}

describe('nothing of the app is left in the temp folder or the socket namespace, however it ends', () => {
  it('the master SIGKILLed while its workers are busy (one spinning, nested ones serving calls)', async () => {
    const ended = await endWith('busy', 'SIGKILL');
    expect(ended).toMatchObject({ signal: 'SIGKILL', directories: [], names: [] });
  });

  it('the master alone gets SIGINT while its workers are busy', async () => {
    const ended = await endWith('busy', 'SIGINT');
    expect(ended).toMatchObject({ signal: 'SIGINT', directories: [], names: [] });
  });

  it('the master alone gets SIGTERM while its workers are busy', async () => {
    const ended = await endWith('busy', 'SIGTERM');
    expect(ended).toMatchObject({ signal: 'SIGTERM', directories: [], names: [] });
  });

  it('Ctrl-C (SIGINT to the process group) with idle workers: every process dies of it at once', async () => {
    const ended = await endWith('idle', 'SIGINT', { group: true });
    expect(ended).toMatchObject({ signal: 'SIGINT', directories: [], names: [] });
  });

  it('a normal exit leaves nothing either; with COHORT_SOCKETS=directory, the directory is removed', async () => {
    for (const env of [{}, { COHORT_SOCKETS: 'directory' }] as NodeJS.ProcessEnv[]) {
      const run = startFixture('parallel/sockets.ts', { args: ['normal'], privateTmp: true, env });
      await run.exited();
      const directories = socketDirectoriesIn(run.dir);
      const end = await run.finish();
      const result = JSON.parse(
        end.stdout
          .split('\n')
          .find((line) => line.startsWith('RESULT '))!
          .slice('RESULT '.length),
      ) as {
        space: SocketSpaceReport;
        statuses: unknown[];
      };
      expect(end.code).toBe(0);
      expect(result.statuses).toEqual([0, 0, 0].map((code) => ({ code, signal: null })));
      expect(result.space.abstract).toBe(env.COHORT_SOCKETS === undefined);
      if (!result.space.abstract) expect(result.space.base.startsWith(`${run.dir}/cohort-`)).toBe(true);
      else expect(await abstractSocketNamesLeft(result.space.base)).toEqual([]);
      expect(directories).toEqual([]);
    }
  });
});

describe("dead workers' sockets do not pile up", () => {
  it.each<[string, NodeJS.ProcessEnv]>([
    ['abstract names', {}],
    ['a socket directory (COHORT_SOCKETS=directory)', { COHORT_SOCKETS: 'directory' }],
  ])(
    '50 spawn/SIGKILL cycles in one master leave at most one socket at a time (%s)',
    async (_mode, env) => {
      const { result, workerPids } = await runFixture<{
        cycles: number;
        space: SocketSpaceReport;
        most: number;
        last: number;
        signals: string[];
      }>('parallel/socket-cycles.mjs', { args: ['50'], env, privateTmp: true, timeoutMs: 100_000 });
      expect(result.cycles).toBe(50);
      expect(workerPids).toHaveLength(50);
      expect(result.signals).toEqual(['SIGKILL']);
      expect(result.space.abstract).toBe(env.COHORT_SOCKETS === undefined);
      // Counted once each killed worker's exit was seen: its socket is gone by then.
      expect(result.most).toBeLessThanOrEqual(1);
      expect(result.last).toBe(0);
    },
    110_000,
  );
});
