import {
  RemoteError,
  Rpc,
  RpcError,
  ValidationError,
  captureCallSite,
  errorFromWire,
  isPromiseLike,
  withCallSite,
  type CallSite,
} from '@cohort/rpc/internal';
import type { z } from 'zod';
import { CohortError } from '../common/errors.js';
import { Fifo } from '../common/fifo.js';
import { TraceRecorder } from '../common/trace.js';
import { warn } from '../common/warnings.js';
import { spawnWorker } from '../parallel/spawn.js';
import { reachability, runOn, type Worker } from '../parallel/worker.js';
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
import { schedulerWorker, schedulerWorkerType } from './scheduler-worker.js';
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

function removeFrom<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index !== -1) list.splice(index, 1);
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

  /**
   * Removes queued tasks (no callbacks for them); running tasks are unaffected. A task already sent ahead to a busy
   * worker is recalled: removed likewise if it has not started there, else it runs as a started task.
   */
  clearQueue(): void {
    this.queue.clear();
    for (const slot of this.slots) {
      for (const task of slot.ahead) task.cleared = true;
      this.recallAhead(slot);
    }
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
        this.signalTerm(slot, task);
        this.armKill(task, task.options.killTimeoutMs);
      } else if (slot.ahead.length > 0) this.recallAhead(slot);
      else if (slot.state === 'idle') this.retire(slot);
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
    if (this.queue.size > available && run.options.prefetch > 0) {
      for (const slot of this.slots) this.sendAhead(slot, run);
    }
  }

  /** Workers that will take a queued task without being sent one ahead: idle ones, and those still starting. */
  private availableWorkers(): number {
    let available = 0;
    for (const slot of this.slots) if (slot.state === 'starting' || slot.state === 'idle') available++;
    return available;
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
      Rpc.implement(taskMessage(), ({ taskId, message }) => this.onWorkerMessage(slot, taskId, message)),
    ];
    const onExitNotice = (reason: string): void => {
      if (reason === 'idle') this.onQuitIdle(slot);
    };
    // Spawned in this turn, not after a load of the spawn code as `Type.spawn()` does: the scheduler's races
    // (maxWorkers, stop, clearQueue) are tested with the spawn starting here.
    spawnWorker(
      schedulerWorkerType(),
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
    // A message from the next task sent ahead proves that it has started (we were waiting on a recall).
    const next = slot.ahead[0];
    if (next !== undefined && next.id === taskId && slot.task === undefined) this.startedAhead(next);
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

  /** Gives a task to an idle worker: it starts there now. */
  private start(slot: WorkerSlot, queued: QueuedTask, run: RunState): void {
    slot.state = 'busy';
    const task = this.send(slot, queued);
    slot.task = task;
    this.begin(task);
    if (run.options.prefetch > 0) this.sendAhead(slot, run);
  }

  /**
   * Sends a busy worker its next tasks ahead of time (up to `prefetch` of them), so that it starts each without
   * waiting a round trip for us, when more tasks are queued than idle or starting workers will take. A task counts as
   * started only once the worker has reported the one before it (it starts it just after), so `onStart` and the
   * timeouts keep their meaning.
   */
  private sendAhead(slot: WorkerSlot, run: RunState): void {
    if (slot.state !== 'busy' || slot.signalled || slot.quitIdle || slot.task === undefined) return;
    if (run.stopping || run.failure !== undefined || !reachability(slot.handle!)()) return;
    const ahead = slot.ahead;
    // A recall in progress (stop, clearQueue, a term signal): nothing more until it is answered.
    if (ahead.length > 0 && ahead[ahead.length - 1]!.recalling) return;
    while (ahead.length < run.options.prefetch && this.queue.size > this.availableWorkers()) {
      ahead.push(this.send(slot, this.queue.shift()!));
    }
  }

  private send(slot: WorkerSlot, queued: QueuedTask): ActiveTask {
    const { id, type, input, options } = queued;
    const task = new ActiveTask(id, type, input, options, slot);
    this.active.add(task);
    // No call site: a task's failure is an outcome, not a rejection the caller's code sees.
    const outcome = runOn(slot.handle!, undefined, schedulerWorker().functions.run, [
      id,
      type.name,
      input,
    ]) as Promise<TaskOutcome>;
    outcome.then(
      (ended) => this.onOutcome(task, ended),
      (error: unknown) => void this.settleLost(task, error),
    );
    return task;
  }

  /** The task has started on its worker: arms its timeouts, then calls `onStart`. */
  private begin(task: ActiveTask): void {
    task.started = true;
    task.startUs = this.currentRun?.trace?.nowUs() ?? 0;
    const { termTimeoutMs, killTimeoutMs } = task.options;
    const slot = task.slot;
    if (this.currentRun?.stopping === true) {
      // It started on its worker before the worker learnt of the stop: it is past its term timeout, as the others.
      this.signalTerm(slot, task);
      this.armKill(task, killTimeoutMs);
    } else if (termTimeoutMs !== undefined) {
      task.termTimer = setTimeout(() => {
        if (task.finished) return;
        this.signalTerm(slot, task);
        this.callHandler(() => task.options.onTermTimeout?.());
        this.armKill(task, killTimeoutMs);
      }, termTimeoutMs);
    } else this.armKill(task, killTimeoutMs);
    // After the timers are armed: an onStart that calls stop() must find (and cancel) the term timer.
    if (task.options.onStart !== undefined) this.callHandler(() => task.options.onStart?.(task.ctx));
  }

  /**
   * Sends a running task's term signal. The tasks sent ahead to that worker are recalled first, and the signal leaves
   * after the recalls are written: a signalled worker takes no new task, even one that survives its signal.
   */
  private signalTerm(slot: WorkerSlot, task: ActiveTask): void {
    const recalled = slot.ahead.length > 0;
    this.recallAhead(slot);
    slot.signal(task.options.termSignal ?? 'SIGTERM', recalled);
  }

  /** Recalls every task sent ahead to `slot`, in order. */
  private recallAhead(slot: WorkerSlot): void {
    for (const task of slot.ahead) this.recall(task);
  }

  /**
   * Takes back a task sent ahead that has not started. The worker answers its `run` with "recalled" if it had not
   * started it; if it had, we learn so here, and it runs as a started task.
   */
  private recall(task: ActiveTask): void {
    if (task.recalling || task.started || task.finished) return;
    task.recalling = true;
    (runOn(task.slot.handle!, undefined, schedulerWorker().functions.recall, task.id) as Promise<boolean>).then(
      (recalled) => {
        if (!recalled && !task.started && !task.finished) this.startedAhead(task);
      },
      // Its worker is gone: the task's own `run` call fails too, and settles it.
      () => undefined,
    );
  }

  /** The worker has started the next task sent ahead to it: it is now the slot's running task. */
  private startedAhead(task: ActiveTask): void {
    const slot = task.slot;
    removeFrom(slot.ahead, task);
    slot.task = task;
    this.begin(task);
    const run = this.currentRun;
    if (run !== undefined && run.options.prefetch > 0) this.sendAhead(slot, run);
  }

  /** The worker's answer to a task's `run`: its outcome, or that it was recalled and never ran. */
  private onOutcome(task: ActiveTask, ended: TaskOutcome): void {
    if (task.finished) return;
    if (ended[0] === null) {
      this.onRecalled(task);
      return;
    }
    // An outcome proves the task started, if we were still waiting to learn it (a recall it beat).
    if (!task.started) this.startedAhead(task);
    const result = ended[0]
      ? { ok: true as const, value: ended[1] }
      : failedResult(ended[1], this.taskError(task, ended[1], ended[2]));
    this.finish(task, result, true);
  }

  /** A task sent ahead came back unstarted: back to the queue, or dropped if `clearQueue` removed it. */
  private onRecalled(task: ActiveTask): void {
    const slot = task.slot;
    removeFrom(slot.ahead, task);
    this.takeBack(task);
    // Its worker had finished its running task and waited on this answer: it is free now.
    if (slot.state === 'busy' && slot.task === undefined && slot.ahead.length === 0) {
      if (!slot.signalled) slot.state = 'idle';
      this.workerAvailable(slot);
    }
    this.pump();
    this.checkDone();
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
    if (task.finished) return;
    // A task sent ahead never started unless its worker had reported the task before it (it starts it only once
    // that report is written); one that may have started is taken as started, so that it never runs twice.
    if ((task.slot.quitIdle || (!task.started && !task.mayHaveStarted)) && !task.finished) {
      removeFrom(task.slot.ahead, task);
      this.takeBack(task);
      this.pump();
      this.checkDone();
      return;
    }
    if (!task.started) this.startedAhead(task);
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
    for (const task of [slot.task, ...slot.ahead]) if (task !== undefined && !task.finished) this.takeBack(task);
    slot.ahead.length = 0;
    this.retire(slot);
    this.pump();
    this.checkDone();
  }

  /**
   * A task that never ran on the worker it was sent to (one that had quit on its idle timeout, or a task sent ahead
   * and recalled, or whose worker died before starting it) goes back to the head of the queue, to be sent to
   * another worker (its onStart fires then), with no onFinish for this attempt; unless `clearQueue` removed it.
   */
  private takeBack(task: ActiveTask): void {
    task.finished = true;
    this.active.delete(task);
    clearTimeout(task.termTimer);
    clearTimeout(task.killTimer);
    if (task.slot.task === task) task.slot.task = undefined;
    if (task.cleared) return;
    // Back where it was: after the tasks taken back before it that precede it, before every task added after it.
    const before: QueuedTask[] = [];
    while ((this.queue.peek()?.id ?? Number.POSITIVE_INFINITY) < task.id) before.push(this.queue.shift()!);
    this.queue.unshift({ id: task.id, type: task.type, input: task.input, options: task.options });
    for (let i = before.length - 1; i >= 0; i--) this.queue.unshift(before[i]!);
  }

  /** `reported`: the worker reported the outcome (it did not die), so it starts the task sent ahead to it now. */
  private finish(task: ActiveTask, result: TaskResult<unknown>, reported = false): void {
    if (task.finished) return;
    task.finished = true;
    this.active.delete(task);
    clearTimeout(task.termTimer);
    clearTimeout(task.killTimer);
    const slot = task.slot;
    if (slot.task === task) slot.task = undefined;
    this.currentRun?.trace?.addTask(slot.index, slot.info?.name ?? `worker ${slot.index}`, task, result);
    // A reusable worker is free before onFinish runs, so a task onFinish adds goes to it rather than to a new
    // worker. A signalled one stays busy until retired: counted as free, it would hold back the spawn of the
    // worker that must replace it. One with a task sent ahead stays busy with it.
    const next = slot.ahead[0];
    const wasBusy = slot.state === 'busy';
    const reusable = wasBusy && !slot.signalled && next === undefined;
    if (reusable) slot.state = 'idle';
    if (task.options.onFinish !== undefined) this.callHandler(() => task.options.onFinish?.(result));
    if (slot.state === 'exited') this.reportUnexpectedExit(slot);
    else if (next !== undefined) {
      // The worker starts it now, unless we recalled it: then we learn which from the recall's answer.
      if (reported && slot.ahead[0] === next && !next.finished) {
        if (next.recalling) next.mayHaveStarted = true;
        else this.startedAhead(next);
      }
    } else if (reusable ? slot.state === 'idle' : wasBusy && slot.state === 'busy') this.workerAvailable(slot);
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
