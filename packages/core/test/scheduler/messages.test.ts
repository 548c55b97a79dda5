import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

describe('Scheduler messages', () => {
  let run: FixtureRun<
    Scheduled<{
      chatterMessages: string[];
      messagesAtFinish: number;
      results: {
        chatter: Result<string[]>;
        stash: Result<number>;
        useStash: Result<{ pid: number; staleReceive: string; received: string }>;
      };
      stashPid: number;
      stashMessages: string[];
      useStashMessages: string[];
      runLevel: { worker: number; message: { type: string; value: unknown } }[];
    }>
  >;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['messages'] });
  });
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };

  it('delivers every message a task sends to its onMessage, in order, before its onFinish', () => {
    const expected = [...Array.from({ length: 50 }, (_, i) => `m${i}`), 'last'];
    expect(run.result.chatterMessages).toEqual(expected);
    expect(run.result.messagesAtFinish).toBe(expected.length);
    expectNoneAlive();
  });

  it('delivers scheduler messages to the task: ctx.receive() is FIFO, with or without a type filter', () => {
    // Sent: L1 Num1 Note(N1) at start, then L2 Num2 L3 while the task waits. Read: num, any, log, note, any, any.
    expect(run.result.results.chatter).toEqual({
      ok: true,
      value: ['num:1', 'any:log:"L1"', 'log:L2', 'note:N1', 'any:num:2', 'any:log:"L3"'],
    });
    expectNoneAlive();
  });

  it('gives run-level onMessage the messages a worker sends outside a task (currentWorkerContext().send)', () => {
    const outside = run.result.runLevel.filter((m) => m.message.value === 'outside a task');
    expect(outside).toEqual([{ worker: run.result.stashPid, message: { type: 'log', value: 'outside a task' } }]);
    expect(run.result.stashMessages).toEqual(['worker context during the task']);
    expectNoneAlive();
  });

  it('never lets a stale task context (kept after its task finished) reach another task, on either side', () => {
    const useStash = run.result.results.useStash;
    expect(useStash.ok).toBe(true);
    if (!useStash.ok) return;
    // Same worker, so the stale context and the new task share a process.
    expect(useStash.value.pid).toBe(run.result.stashPid);
    // Worker → scheduler through the stale context: the run's handler, not the running task's.
    expect(run.result.useStashMessages).toEqual(['through my own context']);
    expect(run.result.runLevel.map((m) => m.message.value)).toContain('through a stale context');
    // Scheduler → worker through the stale context: dropped; the task reads only what was sent to it.
    expect(useStash.value.received).toBe('fresh, from the scheduler');
    expect(useStash.value.staleReceive).toBe(
      'rejected: ctx.receive() called after the task finished: receive only while the task runs',
    );
    expect(run.result.workers).toHaveLength(1);
    expectNoneAlive();
  });
});
