import type { ChildProcess } from 'node:child_process';
import { userInfo } from 'node:os';
import { CohortError } from '../../common/errors.js';
import { drained } from '../../process/output.js';
import { reaperSource } from './reaper-source.js';
import { childProcess } from '../../common/builtins.js';

/** How Cohort asks for an allocation (salloc's options). */
export interface AllocationRequest {
  readonly jobName: string;
  readonly partition: string | undefined;
  readonly nodes: number;
  readonly workers: number | undefined;
  readonly cpusPerWorker: number;
  readonly time: string | undefined;
  readonly account: string | undefined;
  readonly sallocArgs: readonly string[];
}

/** What the allocation needs to know of the spawn that waits for it. */
export interface AllocationWaiter {
  readonly name: string;
  readonly signal: AbortSignal | undefined;
  /** The host, in messages. */
  readonly hostName: string;
}

const SLURM_COMMAND_TIMEOUT_MS = 10_000;

/** Runs a Slurm client command; resolves with its output, never rejects. */
function slurm(command: string, args: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    childProcess().execFile(
      command,
      args,
      { timeout: SLURM_COMMAND_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout, stderr) =>
        resolve({ ok: error === null, stdout: stdout ?? '', stderr: (stderr ?? '') || (error?.message ?? '') }),
    );
  });
}

/**
 * The reaper process (reaper-source.ts) of one host: started at the first thing it must know of, told of every job
 * and step Cohort makes, and left to cancel what is still listed when this process is gone.
 */
class Reaper {
  private child: ChildProcess | undefined;

  tell(line: string): void {
    if (this.child === undefined) {
      // Detached: its own session, beyond a Ctrl-C or a SIGKILL of this program's process group. Its stdin is the
      // lifeline; nothing of it keeps this program alive. Its stderr is this program's, to report a failed scancel.
      const child = childProcess().spawn(process.execPath, ['-e', reaperSource, '{}'], {
        detached: true,
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      child.on('error', () => undefined);
      child.stdin!.on('error', () => undefined);
      child.unref();
      (child.stdin as unknown as { unref?: () => void }).unref?.();
      this.child = child;
    }
    if (this.child.stdin!.writable) this.child.stdin!.write(`${line}\n`);
  }

  /** Ends the reaper: it cancels whatever it still lists (nothing, once everything was released). */
  stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      // Held while it cancels: a program whose last step is `await host.close()` must not end before it has.
      child.ref();
      child.once('exit', () => resolve());
      child.stdin!.end();
    });
  }
}

/**
 * The Slurm allocation a host's workers run in, as job steps: one the user holds (a job id, or the master's own
 * `SLURM_JOB_ID`), never cancelled by Cohort, or one Cohort makes with `salloc --no-shell` at the first spawn and
 * cancels on `release()` or, through the reaper, when this program ends however it ends. Concurrent spawns share
 * one request; a request still pending when every spawn waiting for it has given up (its `spawnTimeoutMs`) is
 * withdrawn, leaving no job behind, and the next spawn asks again.
 */
export class SlurmAllocation {
  private readonly reaper = new Reaper();
  private current:
    | { jobId: Promise<string>; cancel: (why: string) => Promise<void>; id: string | undefined }
    | undefined;
  private waiters = 0;
  /** Why the allocation Cohort made is gone (cancelled from outside): the next spawn makes a new one. */
  private lost = false;

  constructor(private readonly source: { readonly jobId: string } | { readonly request: AllocationRequest }) {}

  /** Whether Cohort makes (and cancels) this allocation. */
  get ownedByCohort(): boolean {
    return 'request' in this.source;
  }

  /** The job id, once known. */
  get jobId(): string | undefined {
    return 'jobId' in this.source ? this.source.jobId : this.current?.id;
  }

  /** The allocation's job id, made first if needed; rejects `SPAWN_TIMEOUT` when `waiter.signal` aborts first. */
  async acquire(waiter: AllocationWaiter): Promise<string> {
    if ('jobId' in this.source) return this.source.jobId;
    const request = this.source.request;
    // A granted allocation may have been cancelled from outside, or run out of time, since: then a new one.
    const granted = this.current?.id;
    if (granted !== undefined && !this.lost && !(await isRunning(granted))) this.markLost(granted);
    if (this.current === undefined || this.lost) {
      this.lost = false;
      this.current = this.allocate(request);
    }
    const current = this.current;
    this.waiters++;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<string>((resolve, reject) => {
        current.jobId.then(resolve, reject);
        if (waiter.signal === undefined) return;
        onAbort = () => reject(new AbortedWaiting());
        if (waiter.signal.aborted) onAbort();
        else waiter.signal.addEventListener('abort', onAbort, { once: true });
      });
    } catch (error) {
      if (!(error instanceof AbortedWaiting)) {
        if (this.current === current) this.current = undefined;
        throw new CohortError(
          'SPAWN_FAILED',
          `could not start worker "${waiter.name}" on ${waiter.hostName}: ${(error as Error).message}`,
          {
            worker: waiter.name,
            cause: error,
          },
        );
      }
      const pendingWhy =
        current.id === undefined
          ? 'was not granted yet'
          : `(job ${current.id}) was still pending${await pendingReason(current.id)}`;
      if (this.waiters === 1 && this.current === current) {
        // Nobody waits for it any more: withdraw the request rather than leave a job that would hold CPUs later.
        this.current = undefined;
        await current.cancel('every spawn waiting for it gave up');
      }
      throw new CohortError(
        'SPAWN_TIMEOUT',
        `could not start worker "${waiter.name}" on ${waiter.hostName}: the Slurm allocation ${pendingWhy} when the spawn's ` +
          'spawnTimeoutMs ran out; the request was withdrawn (no job is left). Raise spawnTimeoutMs, or ask for less (nodes, workers, time)',
        { worker: waiter.name },
      );
    } finally {
      this.waiters--;
      if (onAbort !== undefined) waiter.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The allocation Cohort made was found gone (cancelled from outside, or past its time limit). */
  markLost(jobId: string): void {
    if (this.current?.id !== jobId || this.lost) return;
    this.lost = true;
    // Nothing left to cancel: the reaper forgets it.
    this.reaper.tell(`forget ${jobId}`);
  }

  /** Tells the reaper of a step, so that it cancels it if this program dies before the step ends. */
  stepStarted(step: string): void {
    this.reaper.tell(`step ${step}`);
  }

  stepEnded(step: string): void {
    this.reaper.tell(`stepdone ${step}`);
  }

  /** Cancels the allocation Cohort made (its steps end with it); a user's allocation is left as it is. */
  async release(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current !== undefined) await current.cancel('released');
    await this.reaper.stop();
  }

  private allocate(request: AllocationRequest): NonNullable<SlurmAllocation['current']> {
    const name = request.jobName;
    const args = [
      '--no-shell',
      '--job-name',
      name,
      ...(request.partition === undefined ? [] : ['--partition', request.partition]),
      '--nodes',
      String(request.nodes),
      ...(request.workers === undefined
        ? ['--exclusive']
        : ['--ntasks', String(request.workers), '--cpus-per-task', String(request.cpusPerWorker)]),
      ...(request.time === undefined ? [] : ['--time', request.time]),
      ...(request.account === undefined ? [] : ['--account', request.account]),
      ...request.sallocArgs,
    ];
    // The reaper knows of the request before it exists: if this program dies while it pends, its name finds it.
    this.reaper.tell(`pending ${name}`);
    // Its own process group: a Ctrl-C meant for the program would otherwise abort it with a message of its own.
    const salloc = childProcess().spawn('salloc', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const entry: NonNullable<SlurmAllocation['current']> = {
      id: undefined,
      jobId: Promise.resolve(''),
      cancel: async () => undefined,
    };
    const exited = new Promise<number | null>((resolve) => {
      // Once its stderr has ended too: the line naming the granted job may still be unread when the exit is seen.
      salloc.once('exit', (code) => void drained(salloc.stderr, 500).then(() => resolve(code)));
      salloc.once('error', () => resolve(null));
    });
    entry.jobId = new Promise<string>((resolve, reject) => {
      salloc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4096);
        const id = /job allocation (\d+)/.exec(stderr)?.[1] ?? /job (\d+) queued/.exec(stderr)?.[1];
        if (id !== undefined && entry.id === undefined) {
          entry.id = id;
          this.reaper.tell(`job ${id}`);
        }
      });
      salloc.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new Error(
            error.code === 'ENOENT'
              ? 'salloc was not found: install the Slurm client commands (salloc, srun, scancel, squeue), or put them on the PATH'
              : `cannot run salloc: ${error.message}`,
          ),
        ),
      );
      void exited.then((code) => {
        if (code === 0 && entry.id !== undefined && /Granted job allocation/.test(stderr)) return resolve(entry.id);
        this.reaper.tell(entry.id === undefined ? 'abandoned' : `release ${entry.id}`);
        const said = stderr
          .trim()
          .split('\n')
          .filter((l) => l.trim() !== '')
          .slice(-3)
          .join(' / ');
        reject(new Error(`salloc ${args.join(' ')} failed (exit code ${code})${said === '' ? '' : `: ${said}`}`));
      });
    });
    entry.jobId.catch(() => undefined);
    let cancelled: Promise<void> | undefined;
    entry.cancel = () => {
      cancelled ??= (async () => {
        if (salloc.exitCode === null && salloc.signalCode === null) {
          // Pending: salloc withdraws its request on SIGTERM ("Job aborted due to signal").
          try {
            process.kill(-salloc.pid!, 'SIGTERM');
          } catch {
            // Gone already.
          }
          await exited;
        }
        if (entry.id !== undefined) {
          await slurm('scancel', [entry.id]);
          this.reaper.tell(`release ${entry.id}`);
        } else {
          await slurm('scancel', ['--name', name, '--user', userInfo().username]);
          this.reaper.tell('abandoned');
        }
      })();
      return cancelled;
    };
    return entry;
  }
}

class AbortedWaiting extends Error {}

/** Whether the job is still there to run steps in (pending or running); true when squeue cannot tell. */
async function isRunning(jobId: string): Promise<boolean> {
  const { ok, stdout } = await slurm('squeue', ['-h', '-j', jobId, '-o', '%T']);
  if (!ok) return !/Invalid job id/i.test(stdout);
  const state = stdout.trim();
  return state === 'RUNNING' || state === 'PENDING' || state === 'CONFIGURING';
}

/** Why a job pends, as `squeue` says (`: reason Resources`), or nothing. */
async function pendingReason(jobId: string): Promise<string> {
  const { ok, stdout } = await slurm('squeue', ['-h', '-j', jobId, '-o', '%T %r']);
  const [state, reason] = stdout.trim().split(/\s+/);
  if (!ok || state !== 'PENDING' || reason === undefined) return '';
  return ` (reason: ${reason})`;
}
