import { describe, expect, it } from 'vitest';
import { showProcessStatus, type SchedulerWorkerInfo, type TaskResult } from '../../src/index.js';
import { isAlive, waitGone } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

// SPEC §4: a scheduler that dies takes its workers with it within 2 s; the margin absorbs a loaded 2-core machine.
const MASTER_DEATH_BOUND_MS = 2000 + 3000;

interface Common {
  workers: SchedulerWorkerInfo[];
  sshPids: number[];
  unexpected: { status: { code: number | null; signal: string | null }; pid: number }[];
  /** Every other process of the run, waited for once `run` had resolved, while the master lived on. */
  others: { goneMs: number; left: string[] };
  masterPid: number;
}

const killedBy = (signal: NodeJS.Signals): string => showProcessStatus({ code: null, signal });

describe.skipIf(sshTarget === undefined)(
  `Scheduler on remote workers over Hosts.ssh (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('runs tasks on remote workers, reused from task to task, with messages both ways in order; nothing left after run', async () => {
      const { result, records, stdout, stderr } = await runFixture<
        Common & {
          wheres: {
            startedOn: number;
            result: TaskResult<{ n: number; pid: number; ppid: number; workerIndex: number | null }>;
          }[];
          chatter: {
            pid: number;
            messages: string[];
            messagesAtFinish: number;
            result: TaskResult<{ nums: number[]; last: string }>;
          };
        }
      >('remote/scheduler.ts', { ssh: true, args: ['reuse-messages'] });
      const context = `--- stdout\n${stdout.slice(-6000)}\n--- stderr\n${stderr.slice(-6000)}`;
      expect(result.others.left, context).toEqual([]);
      expect(result.unexpected, context).toEqual([]);
      expect(
        result.wheres.filter((w) => !w.result.ok),
        context,
      ).toEqual([]);
      // Two workers for seven tasks, both through one ssh connection.
      expect(result.workers, context).toHaveLength(2);
      expect(result.sshPids).toHaveLength(1);
      const workerPids = result.workers.map((w) => w.pid);
      expect(records.map((r) => r.pid).sort()).toEqual([...workerPids].sort());
      // Each is the remote process (it recorded its own pid), a child of the agent rather than of this master.
      const agents = new Set(records.map((r) => r.ppid));
      expect(agents.size).toBe(1);
      expect(agents.has(result.masterPid)).toBe(false);
      for (const [n, where] of result.wheres.entries()) {
        expect(where.result.ok, JSON.stringify(where.result)).toBe(true);
        if (!where.result.ok) continue;
        expect(where.result.value.n).toBe(n);
        expect(where.result.value.pid).toBe(where.startedOn);
        expect(workerPids).toContain(where.result.value.pid);
        expect(agents.has(where.result.value.ppid)).toBe(true);
      }
      // Reused: the seven tasks ran on those two processes, at least one of them running several in turn.
      const tasksPerWorker = workerPids.map((pid) => result.wheres.filter((w) => w.startedOn === pid).length);
      expect(Math.max(...tasksPerWorker)).toBeGreaterThan(1);

      const { chatter } = result;
      expect(workerPids).toContain(chatter.pid);
      expect(chatter.result).toEqual({
        ok: true,
        value: { nums: Array.from({ length: 20 }, (_, i) => i), last: 'the end' },
      });
      expect(chatter.messages).toEqual([...Array.from({ length: 50 }, (_, i) => `m${i}`), 'read them all']);
      // Every message came before onFinish.
      expect(chatter.messagesAtFinish).toBe(51);
      expect(result.unexpected).toEqual([]);
      expect(result.others.left).toEqual([]);
    });

    it('term and kill timeouts reach the remote worker through the agent: SIGTERM handled → ok; SIGTERM ignored → SIGKILL after killTimeoutMs', async () => {
      interface Timeline {
        pid: number;
        start: number;
        term?: number;
        kill?: number;
        finish: number;
        termCalls: number;
        killCalls: number;
        messages: string[];
        result: TaskResult<unknown>;
      }
      const { result } = await runFixture<Common & { timelines: Record<string, Timeline> }>('remote/scheduler.ts', {
        ssh: true,
        args: ['timeouts'],
      });
      const nameOf = (pid: number): string => result.workers.find((w) => w.pid === pid)?.name ?? '?';
      const {
        handles,
        ignores,
        'kill alone': killAlone,
      } = result.timelines as Record<'handles' | 'ignores' | 'kill alone', Timeline>;

      // The task got the SIGTERM in its own process and returned normally.
      expect(handles.result).toEqual({ ok: true, value: `pid ${handles.pid} handled SIGTERM` });
      expect(handles.termCalls).toBe(1);
      expect(handles.killCalls).toBe(0);
      // `start` is taken in onStart, which runs just after the timers are armed (so that it can cancel them): on a
      // loaded machine the process may be descheduled in between (25 ms in one CI run), hence the margin.
      expect(handles.term! - handles.start).toBeGreaterThanOrEqual(1000 - 200);

      // Ignored SIGTERM: SIGKILL killTimeoutMs after it, and onFinish says so with showProcessStatus's text.
      expect(ignores.messages.map((m) => m.replace(/ at \d+$/, ''))).toEqual(['armed', 'SIGTERM ignored']);
      expect(ignores.termCalls).toBe(1);
      expect(ignores.killCalls).toBe(1);
      expect(ignores.kill! - ignores.term!).toBeGreaterThanOrEqual(700 - 20);
      expect(ignores.result).toEqual({
        ok: false,
        error: `worker "${nameOf(ignores.pid)}" (pid ${ignores.pid}) ${killedBy('SIGKILL')}`,
      });

      // killTimeoutMs alone: SIGKILL that long after the start, no term signal.
      expect(killAlone.termCalls).toBe(0);
      expect(killAlone.killCalls).toBe(1);
      expect(killAlone.kill! - killAlone.start).toBeGreaterThanOrEqual(1200 - 200);
      expect(killAlone.result).toEqual({
        ok: false,
        error: `worker "${nameOf(killAlone.pid)}" (pid ${killAlone.pid}) ${killedBy('SIGKILL')}`,
      });

      // Signalled workers are expected to die: no unexpected exit. Each task had its own worker (none reused).
      expect(result.unexpected).toEqual([]);
      expect(new Set([handles.pid, ignores.pid, killAlone.pid]).size).toBe(3);
      expect(result.others.left).toEqual([]);
    });

    it('a remote worker SIGKILLed by its pid mid-task: exactly one onFinish with its status, then onUnexpectedWorkerExit; the next task gets a new remote worker', async () => {
      const { result, records } = await runFixture<Common & { events: string[] }>('remote/scheduler.ts', {
        ssh: true,
        args: ['worker-killed'],
      });
      const { events } = result;
      const victim = Number(/on (\d+)$/.exec(events[0] ?? '')?.[1]);
      const name = result.workers.find((w) => w.pid === victim)?.name;
      expect(records.find((r) => r.pid === victim)?.ppid).not.toBe(result.masterPid);
      const next = Number(/on (\d+)$/.exec(events.find((e) => e.startsWith('start next on')) ?? '')?.[1]);
      expect(next).not.toBe(victim);
      expect(events).toEqual([
        `start victim on ${victim}`,
        `SIGKILL ${victim}`,
        `finish victim: ${JSON.stringify({ ok: false, error: `worker "${name}" (pid ${victim}) ${killedBy('SIGKILL')}` })}`,
        `unexpected exit of ${victim}: {"code":null,"signal":"SIGKILL"}`,
        `start next on ${next}`,
        'finish next: true',
        'run resolved',
      ]);
      expect(result.unexpected).toEqual([{ status: { code: null, signal: 'SIGKILL' }, pid: victim }]);
      expect(result.others.left).toEqual([]);
    });

    it.each(['SIGKILL', 'exit'])(
      'a scheduler master that dies (%s) while its remote workers are busy (one in a synchronous loop) takes them, the agent and ssh down within 2 s',
      async (how) => {
        const run = startFixture('remote/scheduler.ts', { ssh: true, args: ['master-killed', how] });
        const ready = await run.waitFor<{ pids: number[]; sshPids: number[] }>('READY');
        const agents = [...new Set(run.records().map((r) => r.ppid))];
        expect(agents).toHaveLength(1);
        expect(ready.sshPids).toHaveLength(1);
        const everyone = [...ready.pids, ...agents, ...ready.sshPids];
        let began = Date.now();
        if (how === 'SIGKILL') {
          // Let the spinning one enter its loop.
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(everyone.filter(isAlive)).toEqual(everyone);
          began = Date.now();
          process.kill(run.pid, 'SIGKILL');
        } else {
          await waitGone([run.pid], 10_000);
          began = Date.now();
        }
        const survivors = await waitGone(everyone, MASTER_DEATH_BOUND_MS);
        const goneMs = Date.now() - began;
        console.log(`remote scheduler workers, agent and ssh gone ${goneMs} ms after the master's ${how}`);
        const end = await run.finish();
        if (how === 'SIGKILL') expect(end.signal).toBe('SIGKILL');
        else expect(end.code).toBe(7);
        expect(end.records.map((r) => r.pid).sort()).toEqual([...ready.pids].sort());
        expect(survivors).toEqual([]);
        expect(goneMs).toBeLessThan(MASTER_DEATH_BOUND_MS);
      },
    );
  },
);
