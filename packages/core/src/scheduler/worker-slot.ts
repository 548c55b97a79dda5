import { describeThrown } from '@cohort/rpc/internal';
import type { Worker } from '../parallel/worker.js';
import { exitWithin } from '../process/exit-grace.js';
import { showProcessStatus, type ExitStatus } from '../process/exit-status.js';
import type { SchedulerWorkerInfo } from './options.js';
import type { ActiveTask } from './active-task.js';

/** A worker whose connection broke but whose process lives on is SIGKILLed after this long. */
const LOST_CONNECTION_KILL_MS = 2000;

/** One scheduler worker, as the scheduler tracks it through its life. */
export class WorkerSlot {
  state: 'starting' | 'idle' | 'busy' | 'stopping' | 'exited' = 'starting';
  handle: Worker<'__cohort.scheduler'> | undefined;
  info: SchedulerWorkerInfo | undefined;
  /** The task it runs (as far as we know: a task sent ahead becomes this once the worker has reported the last). */
  task: ActiveTask | undefined;
  /** Tasks sent ahead while it runs `task`, in the order it will run them, not known to have started yet. */
  readonly ahead: ActiveTask[] = [];
  /** We sent it a signal: never reuse it, and its death is not unexpected. */
  signalled = false;
  /** We told it to stop (or it stopped on its idle timeout): its exit is expected. */
  expectedExit = false;
  exitStatus: ExitStatus | undefined;
  /** Its exit was unexpected and must be reported once its task's `onFinish` has run. */
  unexpectedExitPending = false;
  stopTimer: NodeJS.Timeout | undefined;
  /** It said it quit on its idle timeout: a task sent to it never ran there. */
  quitIdle = false;

  constructor(readonly index: number) {}

  /**
   * `afterWrites`: the signal leaves once what was just sent to the worker is written (sends are written on the
   * next tick), so a recall reaches the worker before a signal that may end its running task.
   */
  signal(signal: NodeJS.Signals, afterWrites = false): void {
    if (this.state === 'exited') return;
    this.signalled = true;
    if (!afterWrites) this.handle?.kill(signal);
    else
      process.nextTick(() => {
        if (this.state !== 'exited') this.handle?.kill(signal);
      });
  }

  /** Its exit status once it has exited; one whose connection broke but lives on is SIGKILLed after 2 s. */
  async waitExit(): Promise<ExitStatus | undefined> {
    const handle = this.handle;
    if (handle === undefined) return undefined;
    return exitWithin(handle.exited, (signal) => this.signal(signal), LOST_CONNECTION_KILL_MS);
  }

  /** The error text of a task this worker was running when it ended (`showProcessStatus` of its exit). */
  describeEnd(status: ExitStatus | undefined, error: unknown): string {
    const { name, pid } = this.info!;
    return status === undefined
      ? `lost the connection to worker "${name}" (pid ${pid}): ${describeThrown(error)}`
      : `worker "${name}" (pid ${pid}) ${showProcessStatus(status)}`;
  }
}
