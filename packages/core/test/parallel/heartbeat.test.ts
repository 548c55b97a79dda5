import { describe, expect, it } from 'vitest';
import { waitGone, watchdogsOf, withoutBinSh } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import {
  abstractSocketNames,
  abstractSocketNamesLeft,
  socketDirectoriesIn,
  type SocketSpaceReport,
} from '../support/sockets.js';

const HEARTBEAT_TIMEOUT_MS = 1000;
// The contract is heartbeat.timeoutMs + 1 s; the margin absorbs a loaded CI machine (2 cores, other suites).
const BOUND_MS = HEARTBEAT_TIMEOUT_MS + 1000 + 2000;

interface KilledMaster {
  goneMs: number;
  survivors: number[];
  /** Where the workers listened, and what the run's TMPDIR and /proc/net/unix held then. */
  space: SocketSpaceReport | undefined;
  directoriesWhileRunning: string[];
  namesWhileRunning: string[];
  /** What is left of the app's sockets once every process is gone. */
  leftovers: string[];
  namesLeft: string[];
  /** The master's watchdogs while it ran (proven gone with the rest of the run by `finish`). */
  watchdogs: number[];
}

async function killMasterAndTime(
  scenario: string,
  env: NodeJS.ProcessEnv = {},
  wrap?: readonly string[],
): Promise<KilledMaster> {
  const run = startFixture('parallel/busy.ts', { args: [scenario], privateTmp: true, env, ...(wrap ? { wrap } : {}) });
  return run.guard(async () => {
    const { pids, space } = await run.waitFor<{ pids: number[]; space?: SocketSpaceReport }>('READY', 100_000);
    if (scenario === 'spin') await run.waitNoted('spinning');
    const directoriesWhileRunning = socketDirectoriesIn(run.dir);
    const namesWhileRunning = space?.abstract === true ? abstractSocketNames(space.base) : [];
    const watchdogs = watchdogsOf(run.pid);
    const began = Date.now();
    process.kill(run.pid, 'SIGKILL');
    const survivors = await waitGone(pids, BOUND_MS);
    const goneMs = Date.now() - began;
    // The master was SIGKILLed: abstract names vanish with their sockets; a socket directory is removed by the
    // last worker out.
    await waitGone([run.pid], 5000);
    const leftovers = socketDirectoriesIn(run.dir);
    const namesLeft = space?.abstract === true ? await abstractSocketNamesLeft(space.base) : [];
    const end = await run.finish();
    expect(end.signal).toBe('SIGKILL');
    expect(end.workerPids.sort()).toEqual([...pids].sort());
    return { goneMs, survivors, space, directoriesWhileRunning, namesWhileRunning, leftovers, namesLeft, watchdogs };
  });
}

describe('no worker outlives its master', () => {
  it("master SIGKILLed while its worker spins in while (true) {}: the worker is gone within heartbeat.timeoutMs + 1 s (its master's watchdog SIGKILLs it)", async () => {
    const { goneMs, survivors, watchdogs } = await killMasterAndTime('spin');
    expect(survivors).toEqual([]);
    expect(goneMs).toBeLessThan(BOUND_MS);
    // One watchdog for the master, gone with everything else of the run (finish proves it).
    expect(watchdogs).toHaveLength(1);
  });

  it.skipIf(withoutBinSh === undefined)(
    "the same where /bin/sh cannot run (a distroless image): no watchdog, and the worker's own lifeline thread kills it",
    async () => {
      const { goneMs, survivors, watchdogs } = await killMasterAndTime('spin', {}, withoutBinSh);
      expect(watchdogs).toEqual([]);
      expect(survivors).toEqual([]);
      expect(goneMs).toBeLessThan(BOUND_MS);
    },
  );

  it("master SIGKILLed with 10 idle workers ('heartbeat-lost' and 'connection-closed'): all gone, and no socket name left", async () => {
    const killed = await killMasterAndTime('idle');
    expect(killed.survivors).toEqual([]);
    expect(killed.goneMs).toBeLessThan(BOUND_MS);
    // Linux's abstract names: no directory was ever made; the ten names were bound, and none is left.
    expect(killed.space?.abstract).toBe(true);
    expect(killed.directoriesWhileRunning).toEqual([]);
    expect(killed.namesWhileRunning).toHaveLength(10);
    expect(killed.leftovers).toEqual([]);
    expect(killed.namesLeft).toEqual([]);
  });

  it('the same with COHORT_SOCKETS=directory: the socket directory, in TMPDIR while they ran, is removed by the last worker out', async () => {
    const killed = await killMasterAndTime('idle', { COHORT_SOCKETS: 'directory' });
    expect(killed.survivors).toEqual([]);
    expect(killed.goneMs).toBeLessThan(BOUND_MS);
    expect(killed.space?.abstract).toBe(false);
    expect(killed.directoriesWhileRunning).toHaveLength(1);
    expect(killed.leftovers).toEqual([]);
  });

  it('a function blocking the event loop longer than heartbeat.timeoutMs still returns to a live master', async () => {
    const { result, exits } = await runFixture<{
      answer: string;
      blockedMs: number;
      after: number;
      status: { code: number };
    }>('parallel/busy.ts', {
      args: ['block'],
    });
    expect(result.answer).toBe('blocked 2500 ms');
    expect(result.blockedMs).toBeGreaterThanOrEqual(2500);
    // The connection survived the stall: another call on another connection works too.
    expect(result.after).toBe(1);
    expect(result.status.code).toBe(0);
    expect([...exits.values()]).toEqual([0]);
  });

  it("shutdown() and a 'connection-closed' close() end workers stuck in a loop: SIGKILL after the 10 s grace", async () => {
    const { result } = await runFixture<{
      status: { code: null; signal: string };
      elapsedMs: number;
      stillAlive: number[];
    }>('parallel/busy.ts', {
      args: ['stop-spinning'],
    });
    expect(result.status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.stillAlive).toEqual([]);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(9_900);
    expect(result.elapsedMs).toBeLessThan(20_000);
  });
});
