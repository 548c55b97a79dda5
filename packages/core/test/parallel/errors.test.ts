import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { ErrorReport } from '../support/fixture-report.js';

describe('errors in workers', () => {
  it('a function that throws rejects that call with RemoteError; the worker keeps serving', async () => {
    const { result } = await runFixture<{
      error: ErrorReport | null;
      after: number;
      afterOnNew: number;
      status: { code: number };
    }>('parallel/errors.ts', {
      args: ['throw'],
    });
    expect(result.error).toMatchObject({ name: 'RemoteError', remoteName: 'RangeError' });
    expect(result.error?.message).toContain('refusing this one');
    expect(result.error?.message).toContain('counter/fail');
    expect(result.after).toBe(2);
    expect(result.afterOnNew).toBe(5);
    expect(result.status.code).toBe(0);
  });

  it.each(['late-exception', 'late-rejection'])(
    '%s: onFailure once with the worker name, the worker exits 254',
    async (scenario) => {
      const { result, stderr } = await runFixture<{
        answer: string;
        status: { code: number; signal: null };
        failures: Array<{ name: string; code: string; worker: string; message: string }>;
        afterDeath: ErrorReport | null;
      }>('parallel/errors.ts', { args: [scenario] });
      expect(result.answer).toBe('scheduled');
      expect(result.status).toEqual({ code: 254, signal: null });
      expect(result.failures).toHaveLength(1);
      expect(result.failures[0]).toMatchObject({ name: 'CohortError', code: 'WORKER_FAILED', worker: 'doomed' });
      expect(result.failures[0]?.message).toContain('worker "doomed"');
      expect(result.failures[0]?.message).toContain(
        scenario === 'late-exception' ? 'late exception in a timer' : 'late rejection nobody handles',
      );
      // The worker's own report reached the master's stderr, prefixed.
      expect(stderr).toMatch(/\[doomed\] (uncaught exception|unhandled rejection) in worker "doomed"/);
      expect(result.afterDeath).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
      expect(result.afterDeath?.message).toContain('exited with code 254');
    },
  );

  it('a late failure without onFailure becomes a process warning of the spawner', async () => {
    const { result, stderr } = await runFixture<{ status: { code: number } }>('parallel/errors.ts', {
      args: ['late-unhandled'],
    });
    expect(result.status.code).toBe(254);
    expect(stderr).toMatch(/\[COHORT_WORKER_FAILED\] Warning: worker "unwatched" failed and is exiting \(code 254\)/);
  });

  it.each([
    ['sigkill', 'was killed by SIGKILL'],
    ['exit', 'exited with code 3'],
  ])(
    'worker ends mid-call (%s): every pending call rejects CONNECTION_CLOSED saying it %s',
    async (scenario, status) => {
      const { result } = await runFixture<{ errors: Array<ErrorReport | null>; pid: number }>('parallel/errors.ts', {
        args: [scenario],
      });
      // Four calls pending when it died (five with the exit call), then a run and a connect afterwards.
      expect(result.errors.length).toBeGreaterThanOrEqual(6);
      for (const error of result.errors) {
        expect(error).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
        expect(error?.message).toContain(`worker "victim" (pid ${result.pid}) ${status}`);
        expect(error?.message).not.toContain('ENOENT');
      }
    },
  );

  it('a worker that hangs after its exit event (sockets still open) is SIGKILLed after the grace: its code, a warning', async () => {
    const { result } = await runFixture<{
      call: ErrorReport | null;
      status: { code: number | null; signal: string | null };
      warnings: { code: string | undefined; message: string }[];
      pid: number;
    }>('parallel/errors.ts', { args: ['exit-hangs'], timeoutMs: 60_000 });
    // The status is the code it was exiting with, not the SIGKILL that ended it.
    expect(result.status).toEqual({ code: 5, signal: null });
    expect(result.call).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
    expect(result.call?.message).toContain(`worker "stuck" (pid ${result.pid}) exited with code 5`);
    expect(result.warnings).toContainEqual({
      code: 'COHORT_WORKER_EXIT_HUNG',
      message: expect.stringContaining(`worker "stuck" (pid ${result.pid}) was exiting with code 5`),
    });
  }, 70_000);

  it('initWorkerState throws: spawn rejects with its message and no process remains', async () => {
    const { result, workerPids } = await runFixture<{ error: ErrorReport | null }>('parallel/errors.ts', {
      args: ['init-throws'],
    });
    // The worker did start (it is recorded), and the fixture runner proved it gone.
    expect(workerPids).toHaveLength(1);
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toContain('worker "stillborn"');
    expect(result.error?.message).toContain('RangeError: initWorkerState refuses start 5');
  });

  it.each([
    ['an abstract name (Linux)', {}],
    ['a socket directory (COHORT_SOCKETS=directory)', { COHORT_SOCKETS: 'directory' }],
  ])(
    'the worker cannot listen (%s): spawn rejects saying so (not blaming initWorkerState), no process left',
    async (_space, env) => {
      const { result, workerPids } = await runFixture<{ error: ErrorReport | null; children: number[] }>(
        'parallel/errors.ts',
        { args: ['listen-fails'], env },
      );
      expect(workerPids).toHaveLength(1);
      expect(result.children).toEqual([]);
      expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(result.error?.message).toMatch(/worker "deaf" .*failed to start: the worker cannot listen on unix:/);
      expect(result.error?.message).not.toContain('initWorkerState');
    },
  );

  it('initConnectionState throws: connect (and a spawn needing that connection) rejects; the worker keeps serving', async () => {
    const { result, workerPids } = await runFixture<{
      error: ErrorReport | null;
      spawnError: ErrorReport | null;
      stillServing: number;
      alive: boolean;
      status: { code: number };
    }>('parallel/errors.ts', { args: ['connection-init-throws'] });
    expect(workerPids).toHaveLength(2);
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'CONNECT_FAILED' });
    expect(result.error?.message).toContain('initConnectionState refuses label "refuse"');
    expect(result.spawnError).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(result.stillServing).toBe(1);
    expect(result.alive).toBe(true);
    expect(result.status.code).toBe(0);
  });
});
