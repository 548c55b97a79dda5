import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitGone } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';

const HEARTBEAT_TIMEOUT_MS = 1000;
// The contract is heartbeat.timeoutMs + 1 s; the margin absorbs a loaded CI machine (2 cores, other suites).
const BOUND_MS = HEARTBEAT_TIMEOUT_MS + 1000 + 2000;

async function killMasterAndTime(scenario: string): Promise<{ goneMs: number; survivors: number[]; leftovers: string[] }> {
  const run = startFixture('parallel/busy.ts', { args: [scenario], privateTmp: true });
  const { pids } = await run.waitFor<{ pids: number[] }>('READY');
  if (scenario === 'spin') await run.waitNoted('spinning');
  const began = Date.now();
  process.kill(run.pid, 'SIGKILL');
  const survivors = await waitGone(pids, BOUND_MS);
  const goneMs = Date.now() - began;
  // The master was SIGKILLed: the last worker out removes the app's socket directory.
  const leftovers = readdirSync(run.dir).filter((name) => name.startsWith('cohort-'));
  const end = await run.finish();
  expect(end.signal).toBe('SIGKILL');
  expect(end.workerPids.sort()).toEqual([...pids].sort());
  return { goneMs, survivors, leftovers };
}

describe('no worker outlives its master', () => {
  it('master SIGKILLed while its worker spins in while (true) {}: the worker is gone within heartbeat.timeoutMs + 1 s', async () => {
    const { goneMs, survivors } = await killMasterAndTime('spin');
    expect(survivors).toEqual([]);
    expect(goneMs).toBeLessThan(BOUND_MS);
  });

  it("master SIGKILLed with 10 idle workers ('heartbeat-lost' and 'connection-closed'): all gone, socket directory too", async () => {
    const { goneMs, survivors, leftovers } = await killMasterAndTime('idle');
    expect(survivors).toEqual([]);
    expect(leftovers).toEqual([]);
    expect(goneMs).toBeLessThan(BOUND_MS);
  });

  it('a function blocking the event loop longer than heartbeat.timeoutMs still returns to a live master', async () => {
    const { result, exits } = await runFixture<{ answer: string; blockedMs: number; after: number; status: { code: number } }>('parallel/busy.ts', {
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
    const { result } = await runFixture<{ status: { code: null; signal: string }; elapsedMs: number; stillAlive: number[] }>('parallel/busy.ts', {
      args: ['stop-spinning'],
    });
    expect(result.status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.stillAlive).toEqual([]);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(9_900);
    expect(result.elapsedMs).toBeLessThan(20_000);
  });
});
