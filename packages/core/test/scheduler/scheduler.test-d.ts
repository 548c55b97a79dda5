import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  Message,
  Scheduler,
  Task,
  currentWorkerContext,
  type ExitStatus,
  type MessageType,
  type SchedulerTaskContext,
  type SchedulerWorkerInfo,
  type TaskResult,
  type TaskType,
  type WorkerContext,
} from '../../src/index.js';

// Type tests only: nothing here runs, so these definitions are never registered at run time.
const Log = Message.define('type-log', z.string());
const Port = Message.define('type-port', z.number());
const Build = Task.define({
  name: 'type-build',
  input: z.object({ target: z.string() }),
  output: z.number(),
  run: async (input, ctx) => {
    expectTypeOf(input).toEqualTypeOf<{ target: string }>();
    ctx.send(Log, `building ${input.target}`);
    expectTypeOf(ctx.receive(Port)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(ctx.receive()).toEqualTypeOf<Promise<Message>>();
    return ctx.receive(Port);
  },
});

describe('Scheduler types', () => {
  it('Message.define keeps the literal name and the value type', () => {
    expectTypeOf(Log).toEqualTypeOf<MessageType<'type-log', z.ZodString>>();
    expectTypeOf(Log.name).toEqualTypeOf<'type-log'>();
  });

  it('Type.is(msg) narrows a message to that type', () => {
    const onMessage = (msg: Message): void => {
      if (Log.is(msg)) {
        expectTypeOf(msg.value).toEqualTypeOf<string>();
        expectTypeOf(msg.type).toEqualTypeOf<'type-log'>();
      } else if (Port.is(msg)) expectTypeOf(msg.value).toEqualTypeOf<number>();
      else expectTypeOf(msg.value).toEqualTypeOf<unknown>();
    };
    void onMessage;
  });

  it('Task.define infers the task type; its run must return the output type', () => {
    expectTypeOf(Build).toEqualTypeOf<TaskType<'type-build', z.ZodObject<{ target: z.ZodString }>, z.ZodNumber>>();
    Task.define({
      name: 'type-wrong-output',
      input: z.string(),
      output: z.number(),
      // @ts-expect-error the output schema says number
      run: (s) => s,
    });
  });

  it('ctx.send checks the value against the message type', () => {
    Task.define({
      name: 'type-send',
      input: z.void(),
      output: z.void(),
      run: (_input, ctx) => {
        // @ts-expect-error Log carries a string
        ctx.send(Log, 1);
      },
    });
  });

  it('addTask types the input, every handler and the result', () => {
    const s = new Scheduler();
    s.addTask(
      Build,
      { target: 'app' },
      {
        termTimeoutMs: 1000,
        killTimeoutMs: 1000,
        termSignal: 'SIGINT',
        onTermTimeout: () => undefined,
        onKillTimeout: () => undefined,
        onStart: (ctx) => {
          expectTypeOf(ctx).toEqualTypeOf<SchedulerTaskContext>();
          ctx.send(Port, 8080);
          // @ts-expect-error Port carries a number
          ctx.send(Port, '8080');
        },
        onMessage: (ctx, msg) => {
          expectTypeOf(ctx.workerPid).toEqualTypeOf<number>();
          if (Log.is(msg)) expectTypeOf(msg.value).toEqualTypeOf<string>();
        },
        onFinish: (result) => {
          expectTypeOf(result).toEqualTypeOf<TaskResult<number>>();
          if (result.ok) expectTypeOf(result.value).toEqualTypeOf<number>();
          else expectTypeOf(result.error).toEqualTypeOf<string>();
        },
      },
    );
    // @ts-expect-error the input must match the task's schema
    s.addTask(Build, { target: 1 });
    // @ts-expect-error unknown option
    s.addTask(Build, { target: 'x' }, { termTimeout: 1 });
  });

  it('run types its options and returns Promise<void>; onDelay returns a cancellable timer', () => {
    const s = new Scheduler();
    expectTypeOf(
      s.run({
        maxWorkers: 2,
        workerIdleTimeoutMs: 1,
        workerKillTimeoutMs: 1,
        onWorkerKillTimeout: (w) => expectTypeOf(w).toEqualTypeOf<SchedulerWorkerInfo>(),
        onEmptyQueue: () => undefined,
        onMessage: (w, msg) => {
          expectTypeOf(w.pid).toEqualTypeOf<number>();
          expectTypeOf(msg).toEqualTypeOf<Message>();
        },
        onUnexpectedWorkerExit: (status, w) => {
          expectTypeOf(status).toEqualTypeOf<ExitStatus>();
          expectTypeOf(w.index).toEqualTypeOf<number>();
        },
        onWorkerSpawn: (w) => expectTypeOf(w.name).toEqualTypeOf<string>(),
        spawn: { env: {}, execArgv: ['--enable-source-maps'] },
        trace: 'trace.json',
      }),
    ).toEqualTypeOf<Promise<void>>();
    expectTypeOf(s.onDelay(10, () => undefined).cancel).toEqualTypeOf<() => void>();
  });

  it('currentWorkerContext() may be undefined', () => {
    expectTypeOf(currentWorkerContext()).toEqualTypeOf<WorkerContext | undefined>();
  });
});
