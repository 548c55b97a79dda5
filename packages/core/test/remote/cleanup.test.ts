import { describe, expect, it } from 'vitest';
import { waitGone, watchdogsOf } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

const HEARTBEAT_TIMEOUT_MS = 1000;
// The contract is heartbeat.timeoutMs + 1 s; the margin absorbs a loaded CI machine (2 cores, other suites).
const BOUND_MS = HEARTBEAT_TIMEOUT_MS + 1000 + 2000;

interface Ready {
  pids: number[];
  sshPids: number[];
}

describe.skipIf(sshTarget === undefined)(
  `Hosts.ssh: no remote worker outlives its master (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    async function killMaster(
      scenario: string,
    ): Promise<{ goneMs: number; survivors: number[]; ready: Ready; agents: number[] }> {
      const run = startFixture('remote/busy.ts', { ssh: true, args: [scenario] });
      const { ready, agents } = await run.guard(async () => {
        const ready = await run.waitFor<Ready>('READY');
        if (scenario === 'spin') await run.waitNoted('spinning');
        return { ready, agents: [...new Set(run.records().map((r) => r.ppid))] };
      });
      const began = Date.now();
      process.kill(run.pid, 'SIGKILL');
      const survivors = await waitGone([...ready.pids, ...agents, ...ready.sshPids], BOUND_MS);
      const goneMs = Date.now() - began;
      const end = await run.finish();
      expect(end.signal).toBe('SIGKILL');
      expect(end.records.map((r) => r.pid).sort()).toEqual([...ready.pids].sort());
      return { goneMs, survivors, ready, agents };
    }

    it('master SIGKILLed while its remote worker spins in while (true) {}: worker, agent and ssh gone within heartbeat.timeoutMs + 1 s', async () => {
      const { goneMs, survivors, agents, ready } = await killMaster('spin');
      expect(agents).toHaveLength(1);
      expect(agents).not.toContain(ready.pids[0]);
      expect(survivors).toEqual([]);
      expect(goneMs).toBeLessThan(BOUND_MS);
    });

    it("master SIGKILLed with idle remote workers ('heartbeat-lost' and 'connection-closed'), all through one agent: all gone", async () => {
      const { goneMs, survivors, agents, ready } = await killMaster('idle');
      // One ssh connection and one agent serve every worker of the host.
      expect(ready.sshPids).toHaveLength(1);
      expect(agents).toHaveLength(1);
      expect(survivors).toEqual([]);
      expect(goneMs).toBeLessThan(BOUND_MS);
    });

    it('network lost (ssh client stopped) while the remote worker spins: it is gone within heartbeat.timeoutMs + 1 s, and the master notices by itself', async () => {
      const run = startFixture('remote/busy.ts', { ssh: true, args: ['network'] });
      const { survivors, goneMs, result } = await run.guard(async () => {
        const ready = await run.waitFor<Ready>('READY');
        await run.waitNoted('spinning');
        const agents = [...new Set(run.records().map((r) => r.ppid))];
        const began = Date.now();
        for (const pid of ready.sshPids) process.kill(pid, 'SIGSTOP');
        const survivors = await waitGone([...ready.pids, ...agents], BOUND_MS);
        const goneMs = Date.now() - began;
        const result = await run.waitFor<{
          callError: string;
          status: { code: null; signal: null };
          noticedAfterMs: number;
        }>('RESULT', BOUND_MS);
        return { survivors, goneMs, result };
      });
      const end = await run.finish();
      expect(survivors).toEqual([]);
      expect(goneMs).toBeLessThan(BOUND_MS);
      // The master killed its stopped ssh client and gave up on the worker: the call failed, saying why.
      expect(result.callError).toMatch(/exited with code unknown|no heartbeat from the agent/);
      expect(result.status).toEqual({ code: null, signal: null });
      expect(end.code).toBe(0);
    });

    it("the agent SIGKILLed while its remote worker spins: the agent's watchdog SIGKILLs the worker, then ends; the master's call fails", async () => {
      const run = startFixture('remote/busy.ts', { ssh: true, args: ['agent-killed'] });
      // A failed step kills the master, whose agent then ends the spinning worker: nothing is left either way.
      const { survivors, result } = await run.guard(async () => {
        const ready = await run.waitFor<Ready>('READY');
        await run.waitNoted('spinning');
        const agents = [...new Set(run.records().map((r) => r.ppid))];
        expect(agents).toHaveLength(1);
        // The agent's own watchdog, as a local spawner has: the worker watches its lifeline from its main thread.
        const watchdogs = watchdogsOf(agents[0]!);
        expect(watchdogs).toHaveLength(1);
        process.kill(agents[0]!, 'SIGKILL');
        return {
          survivors: await waitGone([...ready.pids, ...watchdogs], BOUND_MS),
          result: await run.waitFor<{ callError: string }>('RESULT', BOUND_MS + 10_000),
        };
      });
      const end = await run.finish();
      expect(survivors).toEqual([]);
      expect(result.callError).not.toBe('returned');
      expect(end.code).toBe(0);
    });

    it('a function blocking its remote worker longer than heartbeat.timeoutMs still returns to a live master', async () => {
      const { result, exits } = await runFixture<{
        answer: string;
        blockedMs: number;
        after: number;
        status: { code: number };
      }>('remote/busy.ts', { ssh: true, args: ['block'] });
      expect(result.answer).toBe('blocked 2500 ms');
      expect(result.blockedMs).toBeGreaterThanOrEqual(2500);
      expect(result.after).toBe(1);
      expect(result.status).toEqual({ code: 0, signal: null });
      expect([...exits.values()]).toEqual([0]);
    });

    it('shutdown() of a remote worker stuck in a loop: SIGKILLed through the agent after the 10 s grace', async () => {
      const { result } = await runFixture<{ status: { code: null; signal: string }; elapsedMs: number }>(
        'remote/busy.ts',
        { ssh: true, args: ['stop-spinning'] },
      );
      expect(result.status).toEqual({ code: null, signal: 'SIGKILL' });
      expect(result.elapsedMs).toBeGreaterThanOrEqual(9_900);
      expect(result.elapsedMs).toBeLessThan(20_000);
    });
  },
);
