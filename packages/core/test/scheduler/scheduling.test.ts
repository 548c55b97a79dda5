import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

interface InfoOut {
  tag: string;
  pid: number;
  workerId: string;
  workerIndex: number | null;
  env: string | null;
}
type Result<T> = { ok: true; value: T } | { ok: false; error: string };

function expectNoneAlive(run: FixtureRun<Scheduled<unknown>>): void {
  expect(run.result.aliveAfter).toEqual([]);
  expect(run.pids.filter(isAlive)).toEqual([]);
}

describe('Scheduler: workers are reused and started on demand', () => {
  let run: FixtureRun<Scheduled<{ results: Result<InfoOut>[]; contextInMaster: null }>>;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['reuse'] });
  });

  it('runs consecutive tasks on the same worker process', () => {
    const values = run.result.results.map((r) => (r.ok ? r.value : undefined));
    expect(values.map((v) => v?.tag)).toEqual(['t1', 't2', 't3']);
    expect(new Set(values.map((v) => v?.pid)).size).toBe(1);
    expect(values[0]?.pid).toBe(run.result.workers[0]?.pid);
    expectNoneAlive(run);
  });

  it('starts workers on demand: one task at a time needs one worker though maxWorkers is 4', () => {
    expect(run.result.workers).toHaveLength(1);
    expect(run.result.workers[0]?.index).toBe(0);
    expectNoneAlive(run);
  });

  it('currentWorkerContext() is the worker inside a task and undefined in the scheduler', () => {
    const value = run.result.results[0];
    expect(value?.ok && value.value.workerIndex).toBe(0);
    expect(value?.ok && value.value.workerId).toBe(run.result.workers[0]?.id);
    expect(run.result.contextInMaster).toBeNull();
    expectNoneAlive(run);
  });

  it('starts workers with the spawn run option (env)', () => {
    expect(run.result.results.map((r) => r.ok && r.value.env)).toEqual([
      'from spawn.env',
      'from spawn.env',
      'from spawn.env',
    ]);
    expectNoneAlive(run);
  });
});

interface TraceEvent {
  ph: string;
  pid: number;
  tid: number;
  name: string;
  ts?: number;
  dur?: number;
  args: Record<string, string>;
}

describe('Scheduler: workers taken from startApp({ spareWorkers })', () => {
  it('run tasks like freshly spawned ones, and no spare outlives the program', async () => {
    const run = await runFixture<Scheduled<{ results: Result<InfoOut>[] }>>('scheduler/master.ts', {
      args: ['bound'],
      env: { SCHED_SPARES: '2' },
    });
    expect(Object.values(run.result.results).filter((r) => r.ok)).toHaveLength(9);
    expect(run.result.workers).toHaveLength(3);
    // The two spares and their replacements were launched too: all gone.
    expect(run.pids.length).toBeGreaterThanOrEqual(3);
    expectNoneAlive(run);
  });
});

describe('Scheduler: maxWorkers, start order and the trace file', () => {
  let run: FixtureRun<
    Scheduled<{
      started: number[];
      results: Record<string, Result<number>>;
      startPids: Record<string, number>;
      maxRunning: number;
      queuedBeforeRun: number;
      queuedAfter: number;
      elapsedMs: number;
      trace: { traceEvents: TraceEvent[]; displayTimeUnit: string };
    }>
  >;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['bound'] });
  });

  it('never runs more than maxWorkers tasks (or workers) at once, and uses all of them', () => {
    expect(run.result.maxRunning).toBe(3);
    expect(run.result.workers).toHaveLength(3);
    expect(new Set(Object.values(run.result.startPids)).size).toBe(3);
    expectNoneAlive(run);
  });

  it('starts tasks in addTask order and finishes every one', () => {
    expect(run.result.queuedBeforeRun).toBe(10);
    expect(run.result.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run.result.queuedAfter).toBe(0);
    for (let i = 0; i < 9; i++) expect(run.result.results[i]).toEqual({ ok: true, value: run.result.startPids[i] });
    expect(run.result.results[9]).toEqual({ ok: false, error: 'the tenth task throws' });
    expectNoneAlive(run);
  });

  it('writes a Chrome trace: one named track per worker, one slice per task with its input and result', () => {
    const { traceEvents } = run.result.trace;
    const slices = traceEvents.filter((e) => e.ph === 'X');
    expect(slices).toHaveLength(10);
    const threadNames = traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    const tids = new Set(slices.map((s) => s.tid));
    expect(tids.size).toBe(3);
    expect(new Set(threadNames.map((t) => t.tid))).toEqual(tids);
    expect(threadNames.map((t) => t.args.name).sort()).toEqual(run.result.workers.map((w) => w.name).sort());
    expect(traceEvents.some((e) => e.ph === 'M' && e.name === 'process_name')).toBe(true);
    for (const s of slices) {
      expect(typeof s.ts).toBe('number');
      expect(s.dur).toBeGreaterThan(0);
      expect(s.pid).toBe(traceEvents[0]?.pid);
    }
    const sleeps = slices.filter((s) => s.name === 'sleep');
    expect(sleeps).toHaveLength(9);
    for (const s of sleeps) {
      expect(s.args.input).toBe('{"ms":1000}');
      expect(Number(s.args.result)).toBeGreaterThan(0);
      expect(s.dur).toBeGreaterThanOrEqual(950_000);
    }
    // The slices of one track never overlap: one task at a time per worker.
    for (const tid of tids) {
      const own = slices.filter((s) => s.tid === tid).sort((a, b) => a.ts! - b.ts!);
      for (let i = 1; i < own.length; i++)
        expect(own[i]!.ts!).toBeGreaterThanOrEqual(own[i - 1]!.ts! + own[i - 1]!.dur! - 1);
    }
    const thrown = slices.find((s) => s.name === 'throw');
    expect(thrown?.args).toEqual({ input: 'the tenth task throws', result: 'error: the tenth task throws' });
    expectNoneAlive(run);
  });
});

describe('Scheduler: addTask from any handler while run runs', () => {
  let run: FixtureRun<Scheduled<{ results: Record<string, Result<InfoOut>> }>>;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['handlers'] });
  });

  it.each([
    'from onStart',
    'from onMessage',
    'from onFinish',
    'from onEmptyQueue',
    'from a timer',
    'from a timer set by onFinish',
  ])('runs a task added %s', (tag) => {
    expect(run.result.results[tag]).toMatchObject({ ok: true, value: { tag } });
    expect(run.result.results.root?.ok).toBe(true);
    expectNoneAlive(run);
  });
});
