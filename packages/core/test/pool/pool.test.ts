// Type.pool(): one scenario per behaviour, each a real master with real worker processes, each proving afterwards
// that none of its processes is alive (the runner does, for every pid the run recorded or reported).
import { describe, expect, it } from 'vitest';
import type { ErrorReport } from '../support/fixture-report.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import { isAlive, waitGone } from '../support/processes.js';

interface Stats {
  workers: number;
  busy: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  retried: number;
  replaced: number;
  waitMs: { p50: number; p90: number; p99: number; max: number };
  runMs: { p50: number; p90: number; p99: number; max: number };
}
interface Reported {
  workers: { pid: number }[];
  aliveAfter: number[];
}
const pool = <R>(scenario: string, timeoutMs?: number) =>
  runFixture<R & Reported>('pool/pool.ts', { args: [scenario], ...(timeoutMs === undefined ? {} : { timeoutMs }) });

describe('Type.pool', () => {
  it('runs every function kind with the typing of worker.run; worker and connection state as on a single worker', async () => {
    const { result } = await pool<{
      squares: number[];
      who: { pid: number; label: string; connection: string }[];
      streamedPids: number[];
      streamed: number;
      batched: number[];
      afterBatches: number;
      total: number;
      wrongType: ErrorReport | null;
      stats: Stats;
    }>('basics');
    expect(result.squares).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    expect(result.who.every((w) => w.label === 'L' && w.connection === 'C')).toBe(true);
    // A stream stays on the worker it started on.
    expect(result.streamed).toBe(5);
    expect(result.streamedPids).toHaveLength(1);
    expect(result.batched).toEqual([0, 1, 2, 3, 4]);
    expect(result.afterBatches).toBe(0);
    expect(result.total).toBe(10);
    expect(result.wrongType).toMatchObject({ name: 'CohortError', code: 'WRONG_WORKER_TYPE' });
    expect(result.stats).toMatchObject({ workers: 2, queued: 0, running: 0, completed: 28, failed: 0 });
    expect(result.aliveAfter).toEqual([]);
  });

  it('dispatches to the least-loaded worker, at most `concurrency` calls each; the rest wait in the queue', async () => {
    const { result } = await pool<{ during: Stats; perWorker: number[]; after: Stats }>('dispatch');
    expect(result.during).toMatchObject({ workers: 2, busy: 2, running: 6, queued: 1 });
    expect(result.perWorker).toEqual([3, 4]);
    expect(result.after.completed).toBe(7);
  });

  it('maxQueue: a call beyond it rejects at once with QUEUE_FULL; the accepted ones complete', async () => {
    const { result } = await pool<{ full: ErrorReport | null; rejectedInMs: number; accepted: string[] }>('queue-full');
    expect(result.full).toMatchObject({ name: 'CohortError', code: 'QUEUE_FULL' });
    expect(result.rejectedInMs).toBeLessThan(200);
    expect(result.accepted).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('size { min, max }: grows while calls wait, and shrinks back to min after idleTimeoutMs', async () => {
    const { result } = await pool<{
      initial: number;
      most: number;
      distinct: number;
      shrank: boolean;
      afterShrink: number;
    }>('grow-shrink');
    expect(result.initial).toBe(1);
    expect(result.most).toBe(3);
    expect(result.distinct).toBe(3);
    expect(result.shrank).toBe(true);
    expect(result.afterShrink).toBe(1);
  });

  it('a call past timeoutMs rejects TIMEOUT; its spinning worker is stopped and replaced; the calls behind it succeed', async () => {
    const { result } = await pool<{
      error: ErrorReport | null;
      squares: number[];
      before: number;
      after: number;
      spinnerGone: boolean;
      stats: Stats;
    }>('timeout');
    expect(result.error).toMatchObject({ name: 'RpcError', code: 'TIMEOUT' });
    expect(result.error?.message).toMatch(
      /calc\.spin timed out after 400 ms on pool worker ".*", which was stopped and replaced/,
    );
    expect(result.squares).toEqual([1, 4, 9, 16, 25]);
    expect(result.after).not.toBe(result.before);
    expect(result.spinnerGone).toBe(true);
    expect(result.stats).toMatchObject({ workers: 1, replaced: 1 });
  });

  it('with concurrency > 1, the other calls on a timed-out worker are retried when they allow it, else fail naming the timed-out call', async () => {
    const { result } = await pool<{
      spin: ErrorReport | null;
      retriedPid: number;
      lost: ErrorReport | null;
      stats: Stats;
    }>('timeout-shared');
    expect(result.spin).toMatchObject({ code: 'TIMEOUT' });
    expect(typeof result.retriedPid).toBe('number');
    expect(result.lost).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
    expect(result.lost?.message).toMatch(/was stopped because call calc\.spin timed out after 300 ms/);
    expect(result.stats.retried).toBe(1);
  });

  it('AbortSignal: a queued call leaves the queue, a running one stops its worker; an aborted signal rejects at once', async () => {
    const { result } = await pool<{
      first: { pid: number; served: number };
      next: { pid: number; served: number };
      queuedError: ErrorReport | null;
      runningError: ErrorReport | null;
      pre: ErrorReport | null;
      spinnerGone: boolean;
    }>('abort');
    expect(result.queuedError).toMatchObject({ name: 'RpcError', code: 'ABORTED' });
    expect(result.queuedError?.message).toContain('no longer needed');
    expect(result.runningError).toMatchObject({ name: 'RpcError', code: 'ABORTED' });
    expect(result.pre).toMatchObject({ code: 'ABORTED' });
    // The aborted queued call never ran: the replacement's first call is this one.
    expect(result.next.pid).not.toBe(result.first.pid);
    expect(result.next.served).toBe(1);
    expect(result.spinnerGone).toBe(true);
  });

  it('a worker that dies is replaced; its calls reject with its exit status, or are retried; a thrown error is never retried', async () => {
    const { result } = await pool<{
      exited: ErrorReport | null;
      killedError: ErrorReport | null;
      rescuedPid: number;
      killed: number[];
      thrown: ErrorReport | null;
      restored: boolean;
      stats: Stats;
      quickDeaths: string[];
      afterQuickDeaths: number;
    }>('crash', 100_000);
    expect(result.exited).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
    expect(result.exited?.message).toContain('exited with code 7');
    expect(result.killedError).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
    expect(result.killedError?.message).toContain('was killed by SIGKILL');
    expect(result.killed).not.toContain(result.rescuedPid);
    expect(result.thrown).toMatchObject({ name: 'RemoteError', remoteName: 'RangeError' });
    expect(result.stats.retried).toBe(1);
    expect(result.restored).toBe(true);
    // A worker that dies under a call, however young, is that call's failure, not a failed start of its type.
    expect(result.quickDeaths).toHaveLength(4);
    for (const death of result.quickDeaths) expect(death).toMatch(/^CONNECTION_CLOSED: .*exited with code 1/);
    expect(result.afterQuickDeaths).toBe(144);
  }, 110_000);

  it('a call waiting through failed starts and their back-off keeps the script alive until it is answered', async () => {
    const { result } = await pool<{ value: number; stats: Stats }>('backoff-hold');
    expect(result.value).toBe(49);
    expect(result.stats.workers).toBe(1);
  });

  it('workers that keep dying at start put the pool in a failed state with the cause, without a respawn storm', async () => {
    const { result } = await pool<{
      broken: ErrorReport | null;
      doomedError: ErrorReport | null;
      spawnedAfterFailure: number;
      spawnedLater: number;
      underCalls: number;
      unansweredError: ErrorReport | null;
    }>('failed-start', 100_000);
    expect(result.broken).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.broken?.message).toContain('cannot initialise');
    expect(result.doomedError).toMatchObject({ name: 'CohortError', code: 'POOL_FAILED' });
    expect(result.doomedError?.message).toMatch(/failed to start or died at once/);
    expect(result.spawnedLater).toBe(result.spawnedAfterFailure);
    // Both pools' first workers and warm spares, and a few replacements of the doomed ones: a handful, not a storm.
    expect(result.spawnedLater).toBeLessThanOrEqual(12);
    // Deaths under calls count apart, ten in a row: each of those calls failed with its worker's death first.
    expect(result.underCalls).toBe(10);
    expect(result.unansweredError).toMatchObject({ name: 'CohortError', code: 'POOL_FAILED' });
    expect(result.unansweredError?.message).toMatch(/10 workers in a row .* under their calls, answering none/);
  }, 110_000);

  it('recycle.maxCalls: workers are replaced every 50 calls, and no call fails', async () => {
    const { result } = await pool<{ wrong: number; stats: Stats; distinct: number }>('recycle-calls');
    expect(result.wrong).toBe(0);
    expect(result.stats.failed).toBe(0);
    expect(result.stats.replaced).toBeGreaterThanOrEqual(8);
    expect(result.distinct).toBeGreaterThanOrEqual(10);
  });

  it('recycle.maxRssMiB: a function leaking 5 MiB a call under a 100 MiB limit (50 MiB above a fresh worker if that is more) gets its workers recycled, and no call fails', async () => {
    const { result } = await pool<{
      failures: ErrorReport[];
      stats: Stats;
      distinct: number;
      freshMiB: number;
      maxRssMiB: number;
    }>('recycle-rss');
    console.log(`recycle-rss: fresh worker ${result.freshMiB.toFixed(1)} MiB, limit ${result.maxRssMiB} MiB`);
    expect(result.failures).toEqual([]);
    expect(result.stats.replaced).toBeGreaterThanOrEqual(2);
    expect(result.distinct).toBeGreaterThan(2);
  });

  it('recycle.maxAgeMs: a worker older than the limit is replaced', async () => {
    const { result } = await pool<{ distinct: number; stats: Stats }>('recycle-age');
    expect(result.distinct).toBeGreaterThanOrEqual(2);
    expect(result.stats.replaced).toBeGreaterThanOrEqual(1);
    expect(result.stats.failed).toBe(0);
  });

  it('close(): draining finishes every call; without draining, queued calls reject POOL_CLOSED and running ones end with their worker', async () => {
    const { result } = await pool<{
      drainedOutcomes: string[];
      afterClose: ErrorReport | null;
      running: ErrorReport | null;
      queued: ErrorReport | null;
      forcedStats: Stats;
    }>('close');
    expect(result.drainedOutcomes).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(result.afterClose).toMatchObject({ name: 'CohortError', code: 'POOL_CLOSED' });
    expect(result.queued).toMatchObject({ name: 'CohortError', code: 'POOL_CLOSED' });
    expect(result.running).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
    expect(result.forcedStats.workers).toBe(0);
  });

  it('hosts: [{ host, workers }] places the workers; with size too it is a contradiction', async () => {
    const { result } = await pool<{ distinct: number; both: ErrorReport | null }>('hosts');
    expect(result.distinct).toBe(2);
    expect(result.both).toMatchObject({ name: 'CohortError', code: 'INVALID_ARGUMENT' });
  });

  it('chaos: 10 000 calls over 4 workers while a random worker is SIGKILLed every 50 ms: every call answers once, right or with the death', async () => {
    const { result } = await pool<{
      calls: number;
      settled: number;
      twice: number;
      wrong: number;
      deaths: number;
      otherErrors: string[];
      kills: number;
      restored: boolean;
      answering: number;
      final: Stats;
    }>('chaos', 200_000);
    console.log('pool chaos:', JSON.stringify({ ...result, workers: result.workers.length }));
    expect(result.settled).toBe(result.calls);
    expect(result.twice).toBe(0);
    expect(result.wrong).toBe(0);
    expect(result.otherErrors).toEqual([]);
    expect(result.kills).toBeGreaterThan(0);
    expect(result.restored).toBe(true);
    expect(result.final.workers).toBe(4);
    expect(result.answering).toBeGreaterThanOrEqual(2);
  }, 230_000);

  it('after a worker dies under its first calls, answering none, its replacement gets one call until it answers', async () => {
    const { result } = await pool<{
      dieError: ErrorReport | null;
      distinctPids: number;
      runningBeforeFirstAnswer: number;
      runningAfterFirstAnswer: number;
      stats: Stats;
    }>('probe');
    expect(result.dieError).toMatchObject({ code: 'CONNECTION_CLOSED' });
    // The retried calls all ran on the replacement: one alone first, then the other six together.
    expect(result.distinctPids).toBe(1);
    expect(result.runningBeforeFirstAnswer).toBe(1);
    expect(result.runningAfterFirstAnswer).toBe(6);
    expect(result.stats).toMatchObject({ completed: 7, retried: 7, replaced: 1, workers: 1 });
  });

  it('a SIGKILLed master leaves no pool worker, busy or idle', async () => {
    const run = startFixture('pool/pool.ts', { args: ['master-killed'] });
    const ready = await run.waitFor<{ pids: number[] }>('READY');
    expect(ready.pids.length).toBeGreaterThanOrEqual(3);
    process.kill(run.pid, 'SIGKILL');
    expect(await waitGone(ready.pids, 5000)).toEqual([]);
    await run.finish();
  });

  it('an idle pool does not keep a finished script alive, and its workers go with it', async () => {
    const run = startFixture('pool/pool.ts', { args: ['idle-end'] });
    const idle = await run.waitFor<{ value: number; pids: number[] }>('IDLE');
    expect(idle.value).toBe(81);
    const end = await run.finish();
    expect(end.code).toBe(0);
    expect(idle.pids.every((pid) => !isAlive(pid))).toBe(true);
  });
});
