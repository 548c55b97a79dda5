// The parts of the scheduler's API that need no worker process: definitions, validation, timers, run's argument
// checks, currentWorkerContext outside a task, showProcessStatus. Every test proves it left no child behind.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CohortError,
  Message,
  Scheduler,
  Task,
  ValidationError,
  currentWorkerContext,
  showProcessStatus,
  type ExitStatus,
} from '../../src/index.js';
import { childPids, expectAllGone } from '../support/processes.js';

const Greet = Task.define({ name: 'api-greet', input: z.string(), output: z.number(), run: (s) => s.length });
const Text = Message.define('api-text', z.string());
const Count = Message.define('api-count', z.number());

afterEach(async () => {
  // Nothing here starts a worker: this process has no child left.
  await expectAllGone(childPids(process.pid), 5000, 'child');
});

describe('Task.define and Message.define', () => {
  it('Task.define returns the task type: its name and schemas', () => {
    expect(Greet.name).toBe('api-greet');
    expect(Greet.input.parse('x')).toBe('x');
    expect(Greet.output.parse(1)).toBe(1);
    expect(Object.isFrozen(Greet)).toBe(true);
  });

  it('a task name defined twice throws DUPLICATE_NAME', () => {
    const again = (): unknown =>
      Task.define({ name: 'api-greet', input: z.void(), output: z.void(), run: () => undefined });
    expect(again).toThrow(CohortError);
    expect(again).toThrow(/task "api-greet" is defined twice/);
    try {
      again();
    } catch (error) {
      expect((error as CohortError).code).toBe('DUPLICATE_NAME');
    }
  });

  it('a message name defined twice throws DUPLICATE_NAME', () => {
    expect(Text.name).toBe('api-text');
    const again = (): unknown => Message.define('api-text', z.number());
    expect(again).toThrow(/message type "api-text" is defined twice/);
  });

  it('Type.is(msg) tells messages of that type from others', () => {
    const text = { type: 'api-text', value: 'hi' };
    const count = { type: 'api-count', value: 3 };
    expect(Text.is(text)).toBe(true);
    expect(Text.is(count)).toBe(false);
    expect(Count.is(count)).toBe(true);
  });
});

describe('new Scheduler() and addTask', () => {
  it('queues tasks (queued counts them) and clearQueue empties the queue', () => {
    const s = new Scheduler();
    expect(s.queued).toBe(0);
    s.addTask(Greet, 'a', { termTimeoutMs: 1, killTimeoutMs: 1, termSignal: 'SIGINT', onFinish: () => undefined });
    s.addTask(Greet, 'b');
    expect(s.queued).toBe(2);
    s.clearQueue();
    expect(s.queued).toBe(0);
  });

  it('addTask validates the input against the task schema and throws ValidationError', () => {
    const s = new Scheduler();
    expect(() => s.addTask(Greet, 42 as unknown as string)).toThrow(ValidationError);
    expect(s.queued).toBe(0);
  });

  it('stop() and clearQueue() do nothing when run is not running', () => {
    const s = new Scheduler();
    s.stop();
    s.clearQueue();
    expect(s.queued).toBe(0);
  });
});

describe('Scheduler.run argument checks', () => {
  it.each([0, -1, 1.5, Number.NaN])(
    'maxWorkers %s rejects with INVALID_ARGUMENT, and the scheduler stays usable',
    async (maxWorkers) => {
      const s = new Scheduler();
      const fired: string[] = [];
      s.onDelay(1, () => fired.push('timer'));
      await expect(s.run({ maxWorkers })).rejects.toMatchObject({ name: 'CohortError', code: 'INVALID_ARGUMENT' });
      expect(fired).toEqual([]);
      await s.run({ maxWorkers: 1 });
      expect(fired).toEqual(['timer']);
    },
  );

  it('a second run while one runs rejects', async () => {
    const s = new Scheduler();
    s.onDelay(50, () => undefined);
    const first = s.run({ maxWorkers: 1 });
    await expect(s.run({ maxWorkers: 1 })).rejects.toThrow(/already running/);
    await first;
  });
});

describe('Scheduler timers (onDelay, cancel, cancelAllTimers)', () => {
  it('fire only while run runs, in deadline order, and run waits for them', async () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.onDelay(120, () => fired.push('120'));
    s.onDelay(20, () => fired.push('20'));
    s.onDelay(60, () => fired.push('60'));
    s.onDelay(60, () => fired.push('60 again'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fired).toEqual([]);
    const began = performance.now();
    await s.run({ maxWorkers: 1 });
    expect(fired).toEqual(['20', '60', '60 again', '120']);
    expect(performance.now() - began).toBeLessThan(2000);
  });

  it('run waits until the timer is due', async () => {
    const s = new Scheduler();
    let firedAfter = -1;
    const began = performance.now();
    s.onDelay(300, () => (firedAfter = performance.now() - began));
    await s.run({ maxWorkers: 1 });
    expect(firedAfter).toBeGreaterThanOrEqual(299);
    expect(performance.now() - began).toBeGreaterThanOrEqual(firedAfter);
  });

  it('timers set by timers fire too, before run resolves', async () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.onDelay(10, () => {
      fired.push('outer');
      s.onDelay(50, () => fired.push('inner'));
    });
    await s.run({ maxWorkers: 1 });
    expect(fired).toEqual(['outer', 'inner']);
  });

  it('cancel() stops a timer, and run no longer waits for it', async () => {
    const s = new Scheduler();
    const fired: string[] = [];
    const long = s.onDelay(30_000, () => fired.push('long'));
    s.onDelay(50, () => {
      fired.push('short');
      long.cancel();
      long.cancel();
    });
    const began = performance.now();
    await s.run({ maxWorkers: 1 });
    expect(fired).toEqual(['short']);
    expect(performance.now() - began).toBeLessThan(5000);
  });

  it('cancel() before run: the timer never fires', async () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.onDelay(10, () => fired.push('cancelled')).cancel();
    s.onDelay(20, () => fired.push('kept'));
    await s.run({ maxWorkers: 1 });
    expect(fired).toEqual(['kept']);
  });

  it('cancelAllTimers() cancels every pending timer, even from inside a timer', async () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.onDelay(10, () => {
      fired.push('first');
      s.cancelAllTimers();
    });
    s.onDelay(10, () => fired.push('same deadline, cancelled'));
    s.onDelay(30_000, () => fired.push('late, cancelled'));
    const began = performance.now();
    await s.run({ maxWorkers: 1 });
    expect(fired).toEqual(['first']);
    expect(performance.now() - began).toBeLessThan(5000);
  });

  it('a timer that throws rejects run with that error', async () => {
    const s = new Scheduler();
    const boom = new Error('timer exploded');
    s.onDelay(10, () => {
      throw boom;
    });
    s.onDelay(20_000, () => undefined);
    await expect(s.run({ maxWorkers: 1 })).rejects.toBe(boom);
  });
});

describe('currentWorkerContext and showProcessStatus', () => {
  it('currentWorkerContext() is undefined outside a task process', () => {
    expect(currentWorkerContext()).toBeUndefined();
  });

  async function statusOf(script: string, signal?: NodeJS.Signals): Promise<ExitStatus> {
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const status = new Promise<ExitStatus>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    if (signal !== undefined) setTimeout(() => child.kill(signal), 100);
    const result = await status;
    await expectAllGone([child.pid!], 5000);
    return result;
  }

  it('says "exited with code N" for real exits', async () => {
    expect(showProcessStatus(await statusOf(''))).toBe('exited with code 0');
    expect(showProcessStatus(await statusOf('process.exit(3)'))).toBe('exited with code 3');
  });

  it('says "was killed by SIGTERM" for a process killed by SIGTERM', async () => {
    expect(showProcessStatus(await statusOf('setTimeout(() => {}, 20000)', 'SIGTERM'))).toBe('was killed by SIGTERM');
  });

  it('says "was stopped by SIGSTOP" for a stopped process', () => {
    expect(showProcessStatus({ code: null, signal: 'SIGSTOP' })).toBe('was stopped by SIGSTOP');
  });
});
