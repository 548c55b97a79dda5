import { RemoteError, Rpc, RpcError, ValidationError } from '@cohort/rpc';
import { captureCallSite, errorFromWire, isPromiseLike, withCallSite, type CallSite } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { CohortError } from '../common/errors.js';
import { Fifo } from '../common/fifo.js';
import { TraceRecorder } from '../common/trace.js';
import { warn } from '../common/warnings.js';
import { spawnWorker } from '../parallel/spawn.js';
import { runOn, type Worker } from '../parallel/worker.js';
import type { ExitStatus } from '../process/exit-status.js';
import { ActiveTask, type QueuedTask } from './active-task.js';
import { decodeMessage } from './message.js';
import {
  resolveRunOptions,
  type AddTaskOptions,
  type ResolvedRunOptions,
  type SchedulerRunOptions,
  type TaskResult,
} from './options.js';
import { SchedulerWorker, schedulerWorkerType } from './scheduler-worker.js';
import { failedResult } from './task-result.js';
import type { TaskType } from './task.js';
import { TimerQueue, type Timer } from './timers.js';
import type { TaskOutcome } from './task-wire.js';
import { taskMessage } from './worker-runtime.js';
import { WorkerSlot } from './worker-slot.js';

interface RunState {
  readonly options: ResolvedRunOptions;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly trace: TraceRecorder | undefined;
  /** Where the caller called `run`: the run's own failures (a worker that could not start) point there. */
  readonly site: CallSite | undefined;
  stopping: boolean;
  failure: { error: unknown } | undefined;
  settled: boolean;
}

/**
 * Tezt's task scheduler on Cohort workers: a queue of tasks run on at most `maxWorkers` worker processes, reused
 * from task to task, with per-task SIGTERM→SIGKILL timeouts, two-way typed messages, timers, `stop` and
 * `clearQueue`.
 *
 * @example
 * const s = new Scheduler();
 * s.addTask(Build, 'app', { onFinish: (r) => console.log(r) });
 * await s.run({ maxWorkers: 4 });
 */
export class Scheduler {
  private readonly queue = new Fifo<QueuedTask>();
  private nextTaskId = 1;
  private readonly slots = new Set<WorkerSlot>();
  /** Started tasks whose `onFinish` has not run yet (a dead worker's task outlives its slot until then). */
  private readonly active = new Set<ActiveTask>();
  private nextWorkerIndex = 0;
  private currentRun: RunState | undefined;
  /** Set while a worker picks its next task, so tasks added by `onEmptyQueue` go to that worker first. */
  private assigning = false;
  private readonly timers = new TimerQueue(
    (callback) => this.callHandler(callback),
    () => this.checkDone(),
  );

  /** Queues a task; it starts when a worker is free, in `addTask` order. Callable before `run` or from any handler. */
  addTask<I extends z.ZodType, O extends z.ZodType>(
    task: TaskType<string, I, O>,
    input: z.input<I>,
    options: AddTaskOptions<z.output<O>> = {},
  ): void {
    const checked = task.input.safeParse(input);
    if (!checked.success) {
      throw new ValidationError({ side: 'input', subject: `task ${task.name}`, issues: checked.error.issues });
    }
    this.queue.push({ id: this.nextTaskId++, type: task, input, options: options as AddTaskOptions<unknown> });
    this.pump();
  }

  /** Calls `callback` after `delayMs`, in this process, while `run` is running; `run` waits for it. */
  onDelay(delayMs: number, callback: () => void): Timer {
    return this.timers.add(delayMs, callback);
  }

  cancelAllTimers(): void {
    this.timers.cancelAll();
  }

  /** Removes queued tasks (no callbacks for them); running tasks are unaffected. */
  clearQueue(): void {
    this.queue.clear();
    this.checkDone();
  }

  /** Number of tasks waiting to start. */
  get queued(): number {
    return this.queue.size;
  }

  /**
   * Stops the current run: no new task starts; running tasks are treated as past their term timeout (their workers
   * get the term signal, without `onTermTimeout`; their kill timeout then applies). Queued tasks stay for a later
   * `run`; timers are not cancelled. Does nothing unless `run` is running.
   */
  stop(): void {
    const run = this.currentRun;
    if (run === undefined || run.stopping) return;
    run.stopping = true;
    for (const slot of this.slots) {
      const task = slot.task;
      if (task !== undefined && !task.finished) {
        clearTimeout(task.termTimer);
        slot.signal(task.options.termSignal ?? 'SIGTERM');
        this.armKill(task, task.options.killTimeoutMs);
      } else if (slot.state === 'idle') this.retire(slot);
    }
    this.checkDone();
  }

  /**
   * Runs until the queue is empty, no task runs, no timer is pending and every worker has exited (after `stop()`:
   * until running tasks have ended and workers have exited). Rejects with the error of a handler that threw, once
   * its workers are killed.
   */
  run(runOptions: SchedulerRunOptions = {}): Promise<void> {
    const site = captureCallSite(Scheduler.prototype.run);
    if (this.currentRun !== undefined)
      return Promise.reject(new CohortError('INVALID_ARGUMENT', 'this scheduler is already running'));
    let options: ResolvedRunOptions;
    try {
      options = resolveRunOptions(runOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    const finished = new Promise<void>((resolve, reject) => {
      this.currentRun = {
        options,
        resolve,
        reject,
        trace: options.trace === undefined ? undefined : new TraceRecorder(),
        site,
        stopping: false,
        failure: undefined,
        settled: false,
      };
    });
    this.timers.arm(true);
    this.pump();
    this.checkDone();
    return finished.finally(async () => {
      this.timers.arm(false);
      this.currentRun = undefined;
    });
  }

  private pump(): void {
    const run = this.currentRun;
    if (run === undefined || run.settled || run.stopping || run.failure !== undefined || this.assigning) return;
    // Workers starting or idle will take queued tasks: spawn only for the tasks they can't. A worker still
    // stopping holds its place until its process has exited, so there are never more than maxWorkers processes.
    let available = 0;
    let alive = 0;
    for (const slot of this.slots) {
      if (slot.state === 'starting' || slot.state === 'idle') available++;
      if (slot.state !== 'exited') alive++;
    }
    while (this.queue.size > available && alive < run.options.maxWorkers) {
      this.spawnSlot(run);
      available++;
      alive++;
    }
  }

  private spawnSlot(run: RunState): void {
    const slot = new WorkerSlot(this.nextWorkerIndex++);
    this.slots.add(slot);
    const init = {
      index: slot.index,
      ...(run.options.workerIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: run.options.workerIdleTimeoutMs }),
    };
    // Task messages come back as one-way calls on the worker's own connection, so they stay ordered with results.
    const clientImplementations = [
      Rpc.implement(taskMessage, ({ taskId, message }) => this.onWorkerMessage(slot, taskId, message)),
    ];
    const onExitNotice = (reason: string): void => {
      if (reason === 'idle') this.onQuitIdle(slot);
    };
    spawnWorker(
      schedulerWorkerType,
      { ...run.options.spawn, init, name: `scheduler-worker-${slot.index}` },
      { clientImplementations, onExitNotice },
    ).then(
      (spawned) => {
        const handle = spawned as Worker<'__cohort.scheduler'>;
        slot.handle = handle;
        slot.info = { id: handle.id, name: handle.name, pid: handle.pid, index: slot.index };
        void handle.exited.then((status) => this.onExit(slot, status));
        if (run.failure !== undefined) {
          slot.signal('SIGKILL');
          return;
        }
        // It may have quit on its idle timeout already (a very short one): then it is stopping, not idle.
        if (slot.quitIdle) return;
        slot.state = 'idle';
        this.callHandler(() => run.options.onWorkerSpawn?.(slot.info!));
        this.workerAvailable(slot);
      },
      (error: unknown) => {
        slot.state = 'exited';
        this.slots.delete(slot);
        this.fail(withCallSite(error, run.site));
        // When the run had already failed (another spawn failed first), fail() did nothing: this may have been the
        // last worker the run was waiting for.
        this.checkDone();
      },
    );
  }

  /** A message from a worker: to its running task's `onMessage`, or (outside a task, or stale) to the run's. */
  private onWorkerMessage(slot: WorkerSlot, taskId: number | null, raw: { type: string; value: unknown }): void {
    const message = decodeMessage(raw);
    if (typeof message === 'string') {
      warn('COHORT_BAD_MESSAGE', `${slot.info?.name ?? 'scheduler worker'}: ${message}`);
      return;
    }
    const task = slot.task;
    if (task !== undefined && task.id === taskId && !task.finished)
      this.callHandler(() => task.options.onMessage?.(task.ctx, message));
    else if (slot.info !== undefined) this.callHandler(() => this.currentRun?.options.onMessage?.(slot.info!, message));
  }

  /** A worker is free: give it the next task, or (after `onEmptyQueue`) tell it to stop. */
  private workerAvailable(slot: WorkerSlot): void {
    const run = this.currentRun;
    if (run === undefined || run.failure !== undefined) return;
    if (run.stopping || slot.signalled) {
      this.retire(slot);
      // Its place is free: a queued task may need a new worker.
      this.pump();
      return;
    }
    let next = this.queue.shift();
    if (next === undefined) {
      this.assigning = true;
      try {
        this.callHandler(() => run.options.onEmptyQueue?.());
      } finally {
        this.assigning = false;
      }
      // onEmptyQueue may have failed or stopped the run: what it added then stays queued.
      if (run.failure !== undefined) return;
      next = run.stopping ? undefined : this.queue.shift();
    }
    if (next === undefined) this.retire(slot);
    else this.start(slot, next, run);
    this.pump();
  }

  private start(slot: WorkerSlot, queued: QueuedTask, run: RunState): void {
    const { id, type, input, options } = queued;
    const task = new ActiveTask(id, type, input, options, slot, run.trace?.nowUs() ?? 0);
    slot.state = 'busy';
    slot.task = task;
    this.active.add(task);
    // No call site: a task's failure is an outcome, not a rejection the caller's code sees.
    const outcome = runOn(slot.handle!, undefined, SchedulerWorker.functions.run, [
      id,
      type.name,
      input,
    ]) as Promise<TaskOutcome>;
    const { termTimeoutMs, killTimeoutMs } = options;
    if (termTimeoutMs !== undefined) {
      task.termTimer = setTimeout(() => {
        if (task.finished) return;
        slot.signal(options.termSignal ?? 'SIGTERM');
        this.callHandler(() => options.onTermTimeout?.());
        this.armKill(task, killTimeoutMs);
      }, termTimeoutMs);
    } else this.armKill(task, killTimeoutMs);
    // After the timers are armed: an onStart that calls stop() must find (and cancel) the term timer.
    if (options.onStart !== undefined) this.callHandler(() => options.onStart?.(task.ctx));
    outcome.then(
      (ended) =>
        this.finish(
          task,
          ended[0] ? { ok: true, value: ended[1] } : failedResult(ended[1], this.taskError(task, ended[1], ended[2])),
        ),
      (error: unknown) => void this.settleLost(task, error),
    );
  }

  private armKill(task: ActiveTask, killTimeoutMs: number | undefined): void {
    if (killTimeoutMs === undefined || task.killTimer !== undefined) return;
    task.killTimer = setTimeout(() => {
      if (task.finished) return;
      task.slot.signal('SIGKILL');
      this.callHandler(() => task.options.onKillTimeout?.());
    }, killTimeoutMs);
  }

  /** The call failed: the worker died (or its connection broke), and the error names how it ended. */
  private async settleLost(task: ActiveTask, error: unknown): Promise<void> {
    if (task.finished) return;
    const status = await task.slot.waitExit();
    if (task.slot.quitIdle && !task.finished) {
      this.requeue(task);
      return;
    }
    const text = task.slot.describeEnd(status, error);
    const lost = new RpcError('CONNECTION_CLOSED', text, { rpc: `task ${task.type.name}`, cause: error });
    this.finish(task, failedResult(text, withCallSite(lost, this.currentRun?.site)));
  }

  /**
   * What a task threw, as the `cause` of its result: the worker's wire error checked (the worker's result is not
   * checked on arrival, as no RPC output is), named after the task and its worker; its text alone if malformed.
   * Its stack points at the line that called `run` (captured once per run: a capture per `addTask` would cost more
   * than a small task).
   */
  private taskError(task: ActiveTask, text: string, detail: unknown): Error {
    const rpc = `task ${task.type.name}`;
    const info = task.slot.info;
    const peer = info === undefined ? 'a scheduler worker' : `worker "${info.name}" (pid ${info.pid})`;
    const error =
      errorFromWire(detail, rpc, peer) ?? new RemoteError({ remoteName: 'Error', message: text, rpc, peer });
    return withCallSite(error, this.currentRun?.site);
  }

  /**
   * A worker quits on its idle timeout: it runs no more tasks (one sent to it meanwhile goes back to the queue) and
   * is told to stop. Its exit is expected, however late the scheduler reads of it.
   */
  private onQuitIdle(slot: WorkerSlot): void {
    if (slot.quitIdle) return;
    slot.quitIdle = true;
    slot.expectedExit = true;
    const task = slot.task;
    if (task !== undefined && !task.finished) this.requeue(task);
    this.retire(slot);
    this.pump();
  }

  /**
   * A task sent to a worker that had quit on its idle timeout never ran: it goes back to the head of the queue, to
   * be sent to another worker (its onStart fires again then), with no onFinish for this attempt.
   */
  private requeue(task: ActiveTask): void {
    task.finished = true;
    this.active.delete(task);
    clearTimeout(task.termTimer);
    clearTimeout(task.killTimer);
    if (task.slot.task === task) task.slot.task = undefined;
    this.queue.unshift({ id: task.id, type: task.type, input: task.input, options: task.options });
    this.pump();
    this.checkDone();
  }

  private finish(task: ActiveTask, result: TaskResult<unknown>): void {
    if (task.finished) return;
    task.finished = true;
    this.active.delete(task);
    clearTimeout(task.termTimer);
    clearTimeout(task.killTimer);
    const slot = task.slot;
    slot.task = undefined;
    this.currentRun?.trace?.addTask(slot.index, slot.info?.name ?? `worker ${slot.index}`, task, result);
    // A reusable worker is free before onFinish runs, so a task onFinish adds goes to it rather than to a new
    // worker. A signalled one stays busy until retired: counted as free, it would hold back the spawn of the
    // worker that must replace it.
    const wasBusy = slot.state === 'busy';
    const reusable = wasBusy && !slot.signalled;
    if (reusable) slot.state = 'idle';
    if (task.options.onFinish !== undefined) this.callHandler(() => task.options.onFinish?.(result));
    if (slot.state === 'exited') this.reportUnexpectedExit(slot);
    else if (reusable ? slot.state === 'idle' : wasBusy && slot.state === 'busy') this.workerAvailable(slot);
    this.checkDone();
  }

  /** Tells an idle worker to stop; SIGKILLs it after `workerKillTimeoutMs` if it is still alive then. */
  private retire(slot: WorkerSlot): void {
    if (slot.state === 'exited' || slot.state === 'stopping') return;
    slot.state = 'stopping';
    slot.expectedExit = true;
    const run = this.currentRun;
    const killAfterMs = run?.options.workerKillTimeoutMs;
    if (killAfterMs !== undefined) {
      slot.stopTimer = setTimeout(() => {
        if (slot.state === 'exited') return;
        slot.signal('SIGKILL');
        this.callHandler(() => run?.options.onWorkerKillTimeout?.(slot.info!));
      }, killAfterMs);
    }
    void slot.handle?.shutdown().catch(() => undefined);
  }

  private onExit(slot: WorkerSlot, status: ExitStatus): void {
    slot.state = 'exited';
    slot.exitStatus = status;
    clearTimeout(slot.stopTimer);
    this.slots.delete(slot);
    if (!slot.expectedExit && !slot.signalled) {
      slot.unexpectedExitPending = true;
      // A running task's onFinish comes first (its last messages are still being read); report after it.
      if (slot.task === undefined) this.reportUnexpectedExit(slot);
    }
    this.pump();
    this.checkDone();
  }

  private reportUnexpectedExit(slot: WorkerSlot): void {
    if (!slot.unexpectedExitPending) return;
    slot.unexpectedExitPending = false;
    const status = slot.exitStatus!;
    this.callHandler(() => this.currentRun?.options.onUnexpectedWorkerExit?.(status, slot.info!));
  }

  /** Runs a user handler; a throw (or a rejected promise) fails the run. */
  private callHandler(handler: () => unknown): void {
    try {
      const result = handler();
      if (isPromiseLike(result)) result.then(undefined, (error: unknown) => this.fail(error));
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    const run = this.currentRun;
    if (run === undefined || run.failure !== undefined) return;
    run.failure = { error };
    this.timers.arm(false);
    for (const slot of this.slots) slot.signal('SIGKILL');
    this.checkDone();
  }

  private checkDone(): void {
    const run = this.currentRun;
    if (run === undefined || run.settled) return;
    // A worker that died mid-task has left `slots`, but its task's onFinish (and the exit report) are still due.
    const live = this.slots.size > 0 || this.active.size > 0;
    let done: boolean;
    if (run.failure !== undefined || run.stopping) done = !live;
    else done = !live && this.queue.size === 0 && this.timers.pending === 0;
    if (!done) return;
    run.settled = true;
    // Timers left pending by stop() wait for the next run: none may fire while the trace file is being written.
    this.timers.arm(false);
    const settle = (): void => {
      if (run.failure !== undefined) run.reject(run.failure.error);
      else run.resolve();
    };
    if (run.trace !== undefined && run.options.trace !== undefined) {
      run.trace.write(run.options.trace, 'cohort scheduler').then(settle, (error: unknown) => {
        run.failure ??= { error };
        settle();
      });
    } else settle();
  }
}
