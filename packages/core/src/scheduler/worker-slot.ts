import type { Worker } from '../parallel/worker.js';
import type { ExitStatus } from '../process/exit-status.js';
import type { SchedulerWorkerInfo } from './options.js';
import type { ActiveTask } from './active-task.js';

/** One scheduler worker, as the scheduler tracks it through its life. */
export class WorkerSlot {
  state: 'starting' | 'idle' | 'busy' | 'stopping' | 'exited' = 'starting';
  handle: Worker<'__cohort.scheduler'> | undefined;
  info: SchedulerWorkerInfo | undefined;
  task: ActiveTask | undefined;
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

  get alive(): boolean {
    return this.state !== 'exited';
  }

  signal(signal: NodeJS.Signals): void {
    if (this.state === 'exited') return;
    this.signalled = true;
    this.handle?.kill(signal);
  }
}
