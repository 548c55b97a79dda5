// Hosts.slurm on the private test cluster (.ci/setup-slurm): workers as job steps of an allocation Cohort makes with
// salloc. Every test proves afterwards that no process of the run is alive (fixture runner) and that no job of its
// own name is left in the queue.
import { describe, expect, it } from 'vitest';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import { waitGone } from '../support/processes.js';
import {
  expectNoJobs,
  named,
  slurmCluster,
  slurmCommand,
  slurmSkipReason,
  slurmSkipWarning,
  slurmUnavailableReason,
  uniqueJobName,
} from '../support/slurm.js';

const unavailable = slurmUnavailableReason();
if (unavailable !== undefined) console.warn(slurmSkipWarning(unavailable));

interface Failure {
  name: string;
  code: string;
  message: string;
}

const JOB_GONE_MS = 20_000;

describe.skipIf(unavailable !== undefined)(
  `Hosts.slurm (${unavailable === undefined ? slurmCluster!.conf : slurmSkipReason})`,
  () => {
    it('spawn and every kind of call, by TCP and through srun, in one allocation; both steps and the allocation end', {
      timeout: 120_000,
    }, async () => {
      const name = uniqueJobName('calls');
      const { result, stdout } = await runFixture<{
        results: {
          added: number;
          countdown: number[];
          total: number;
          inFlight: number;
          jobId: string;
          step: string;
          address: Record<string, unknown>;
        }[];
        statuses: unknown[];
        jobId: string;
      }>('slurm/slurm.ts', { args: ['calls'], env: { JOB_NAME: name }, timeoutMs: 100_000 });
      const [direct, viaSrun] = result.results;
      expect(direct).toMatchObject({
        added: 15,
        countdown: [4, 3, 2, 1],
        total: 106,
        inFlight: 256,
        jobId: result.jobId,
        step: '0',
      });
      expect(direct!.address).toHaveProperty('port');
      expect(viaSrun).toMatchObject({
        added: 25,
        countdown: [4, 3, 2, 1],
        total: 106,
        inFlight: 256,
        jobId: result.jobId,
        step: '1',
      });
      expect(viaSrun!.address).toHaveProperty('tunnel');
      expect(result.statuses).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      expect(stdout).toContain('[direct] hi from direct');
      expect(stdout).toContain('[via-srun] hi from via-srun');
      await expectNoJobs(JOB_GONE_MS, named(name));
    });

    it('MapReduce, a Scheduler and a pool run their workers on it', { timeout: 150_000 }, async () => {
      const name = uniqueJobName('engines');
      const { result } = await runFixture<{
        sum: number;
        scheduled: number[];
        schedulerWorkers: number;
        squares: number[];
      }>('slurm/slurm.ts', {
        args: ['engines'],
        env: { JOB_NAME: name },
        timeoutMs: 140_000,
      });
      expect(result.sum).toBe(Array.from({ length: 1000 }, (_, i) => 3 * i + 1).reduce((a, b) => a + b));
      expect(result.scheduled).toEqual([0, 1, 2, 3]);
      expect(result.schedulerWorkers).toBe(2);
      expect(result.squares).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
      await expectNoJobs(JOB_GONE_MS, named(name));
    });

    it('master SIGKILLed while its workers are busy (one waiting, one blocking its loop): steps, workers and the allocation end', {
      timeout: 90_000,
    }, async () => {
      const name = uniqueJobName('busy');
      const run = startFixture('slurm/slurm.ts', { args: ['busy'], env: { JOB_NAME: name }, timeoutMs: 80_000 });
      const ready = await run.guard(() => run.waitFor<{ pids: number[]; jobId: string }>('READY', 60_000));
      const agents = [...new Set(run.records().map((r) => r.ppid))];
      expect(agents).toHaveLength(2);
      process.kill(run.pid, 'SIGKILL');
      expect(await waitGone([...ready.pids, ...agents], 10_000)).toEqual([]);
      await expectNoJobs(JOB_GONE_MS, named(name));
      const end = await run.finish();
      expect(end.signal).toBe('SIGKILL');
    });

    it('the job cancelled from outside (scancel) mid-call: the call rejects saying so, and the next spawn gets a new allocation', {
      timeout: 120_000,
    }, async () => {
      const name = uniqueJobName('scancel');
      const run = startFixture('slurm/slurm.ts', { args: ['scancel'], env: { JOB_NAME: name }, timeoutMs: 100_000 });
      const ready = await run.guard(() => run.waitFor<{ jobId: string; pid: number }>('READY', 60_000));
      expect(slurmCommand('scancel', [ready.jobId]).status).toBe(0);
      const result = await run.guard(() =>
        run.waitFor<{
          callError: Failure;
          rejectedAfterMs: number;
          exit: unknown;
          after: Failure;
          firstJob: string;
          nextJob: string;
          echoed: string;
        }>('RESULT', 60_000),
      );
      const end = await run.finish();
      expect(end.code).toBe(0);
      expect(result.callError).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
      expect(result.callError.message).toMatch(/worker "cancelled" \(pid \d+\)/);
      expect(result.callError.message).toMatch(
        /Slurm cancelled job step \d+\.\d+ on node \S+ \(scancel, or its job ended\)/,
      );
      expect(result.after.message).toMatch(/worker "cancelled" .*spawn a new one/);
      expect(result.rejectedAfterMs).toBeLessThan(10_000);
      expect(result.nextJob).not.toBe(result.firstJob);
      expect(result.echoed).toBe('again');
      await expectNoJobs(JOB_GONE_MS, named(name));
    });

    it('a pool whose job is cancelled mid-call: those calls reject, and its next calls run on new workers in a new allocation', {
      timeout: 150_000,
    }, async () => {
      const name = uniqueJobName('pool');
      const run = startFixture('slurm/slurm.ts', {
        args: ['pool-scancel'],
        env: { JOB_NAME: name },
        timeoutMs: 140_000,
      });
      const ready = await run.guard(() => run.waitFor<{ jobId: string }>('READY', 90_000));
      expect(slurmCommand('scancel', [ready.jobId]).status).toBe(0);
      const result = await run.guard(() =>
        run.waitFor<{
          before: { value: number };
          errors: Failure[];
          after: number[];
          pidsAfter: number[];
          firstJob: string;
          nextJob: string;
        }>('RESULT', 120_000),
      );
      const end = await run.finish();
      expect(end.code).toBe(0);
      expect(result.before.value).toBe(9);
      for (const error of result.errors) {
        expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
        expect(error.message).toMatch(/Slurm cancelled job step/);
      }
      expect(result.after).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
      expect(result.nextJob).not.toBe(result.firstJob);
      await expectNoJobs(JOB_GONE_MS, named(name));
    });

    it("inside the master's own allocation (SLURM_JOB_ID): a step in it, and the allocation left running", {
      timeout: 90_000,
    }, async () => {
      const name = uniqueJobName('existing');
      const salloc = slurmCommand('salloc', ['--no-shell', '-J', name, '-n', '2', '-t', '10'], 30_000);
      const jobId = /Granted job allocation (\d+)/.exec(salloc.stderr)?.[1];
      expect(jobId, salloc.stderr).toBeDefined();
      try {
        const { result } = await runFixture<{ added: number; jobSeen: string; jobId: string; status: unknown }>(
          'slurm/slurm.ts',
          {
            args: ['existing'],
            env: { SLURM_JOB_ID: jobId },
            timeoutMs: 80_000,
          },
        );
        expect(result).toMatchObject({ added: 2, jobSeen: jobId, jobId, status: { code: 0, signal: null } });
        // Cohort's step has ended; the allocation is the user's, still running.
        expect(slurmCommand('squeue', ['-h', '-s', '-j', jobId!, '-o', '%i']).stdout.trim()).toBe('');
        expect(slurmCommand('squeue', ['-h', '-j', jobId!, '-o', '%T']).stdout.trim()).toBe('RUNNING');
      } finally {
        slurmCommand('scancel', [jobId ?? '']);
      }
      await expectNoJobs(JOB_GONE_MS, named(name));
    });

    it('an allocation still pending when spawnTimeoutMs runs out: SPAWN_TIMEOUT saying why, and the request withdrawn', {
      timeout: 60_000,
    }, async () => {
      const name = uniqueJobName('pending');
      const { result } = await runFixture<{ error: Failure; elapsedMs: number }>('slurm/slurm.ts', {
        args: ['pending'],
        env: { JOB_NAME: name },
      });
      expect(result.error).toMatchObject({ code: 'SPAWN_TIMEOUT' });
      expect(result.error.message).toMatch(
        /the Slurm allocation \(job \d+\) was still pending \(reason: \w+\) when the spawn's spawnTimeoutMs ran out; the request was withdrawn/,
      );
      // 4 s timeout; generous bound for a loaded machine.
      expect(result.elapsedMs).toBeGreaterThanOrEqual(3900);
      expect(result.elapsedMs).toBeLessThan(15_000);
      await expectNoJobs(5_000, named(name));
    });
  },
);
