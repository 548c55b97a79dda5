import { ValidationError, type AnyImplementation } from '@cohort/rpc/internal';
import { requireApp, type App } from '../app/app.js';
import { DEFAULTS } from '../common/defaults.js';
import { CohortError } from '../common/errors.js';
import { ONCE } from '../common/options.js';
import { warn } from '../common/warnings.js';
import { reportSchema } from '../process/bootstrap.js';
import type { ControlChannel } from '../process/control-channel.js';
import { exitWithin, statusWithin } from '../process/exit-grace.js';
import { showProcessStatus, type ExitStatus } from '../process/exit-status.js';
import type { LaunchedProcess } from '../host/host.js';
import { launchWorker, type LaunchedWorker } from './launch.js';
import { resolveSpawnOptions, type ResolvedSpawnOptions } from './spawn-options.js';
import type { AnyWorkerType } from './type-registry.js';
import { openWorkerConnection } from './worker-connection.js';
import { connectOptions, workerHandle } from './worker-handle.js';

/** What Cohort's own layers (the scheduler) add to a spawn; not part of the public options. */
export interface SpawnExtras {
  /** Served by the spawner to the worker over the handle's connections. */
  readonly clientImplementations?: readonly AnyImplementation[];
  /** The worker announced it exits on purpose (see `exitWorker`); called before its exit is reported. */
  readonly onExitNotice?: (reason: string) => void;
  /** A process launched ahead of time with this spawn's process options (a pool's own spares), if one is ready. */
  readonly takeSpare?: () => LaunchedProcess | undefined;
}

/**
 * Starts a worker process of `type` and waits until it serves: checks the options and arguments, launches the
 * process, then attaches a handle (or, for `'connection-closed'`, the connection). On any failure, no process is
 * left behind.
 */
export async function spawnWorker(
  type: AnyWorkerType,
  rawOptions: unknown,
  extras: SpawnExtras = {},
): Promise<unknown> {
  const where = `${type.name}.spawn()`;
  const app = requireApp(where);
  const options = resolveSpawnOptions(rawOptions, where);
  checkArguments(type, options);
  const id = app.nextWorkerId();
  const name = options.name ?? `${type.name}-${id}`;
  const launched = await launchWorker(app, type, id, name, options, extras.takeSpare);
  try {
    const exit = watchExit(name, launched.process);
    watchReports(launched.control, name, options.onFailure, extras.onExitNotice, exit.announced);
    return await attach(app, type, id, name, launched, exit.exited, options, extras);
  } catch (error) {
    throw await failedAttach(launched, name, error);
  }
}

/** How long a failed attach waits to see whether the worker's process ended by itself (it is killed otherwise). */
const ENDED_WAIT_MS = 200;

/**
 * The error of a spawn whose worker was ready but could not be attached. If its process ended by itself meanwhile
 * (it crashed, or something killed it), that is the news, with its exit status; otherwise the error as it is. Either
 * way, the process is gone before this returns.
 */
async function failedAttach(launched: LaunchedWorker, name: string, error: unknown): Promise<unknown> {
  const { process: child } = launched;
  const ended = await statusWithin(child.exited, ENDED_WAIT_MS);
  if (ended === undefined) {
    child.kill('SIGKILL');
    await child.exited;
    return error;
  }
  if (error instanceof ValidationError) return error;
  return new CohortError(
    'SPAWN_FAILED',
    `worker "${name}" (pid ${child.pid}) ${showProcessStatus(ended)} while it was being connected to`,
    {
      worker: name,
      cause: error,
      exitStatus: ended,
    },
  );
}

/** Arguments that must be valid before any process starts (so a bad one costs no spawn). */
function checkArguments(type: AnyWorkerType, options: ResolvedSpawnOptions): void {
  const init = type.workerInit.safeParse(options.init);
  if (!init.success) {
    throw new ValidationError({
      side: 'input',
      subject: `worker type ${type.name}`,
      issues: init.error.issues,
      what: 'workerInit',
    });
  }
  // A connectionInit that was given (or is needed now) must be valid too: otherwise spawn would quietly return a
  // handle without its default connection, and every `run` would fail later.
  if (options.connectionInit !== undefined || options.shutdownOn === 'connection-closed') {
    const connectionInit = type.connectionInit.safeParse(options.connectionInit);
    if (!connectionInit.success) {
      throw new ValidationError({
        side: 'input',
        subject: `worker type ${type.name}`,
        issues: connectionInit.error.issues,
        what: 'connectionInit',
      });
    }
  }
}

/** What `spawn` returns for a ready worker: its handle, or for `'connection-closed'` the connection that owns it. */
async function attach(
  app: App,
  type: AnyWorkerType,
  id: string,
  name: string,
  launched: LaunchedWorker,
  exited: Promise<ExitStatus>,
  options: ResolvedSpawnOptions,
  extras: SpawnExtras,
): Promise<unknown> {
  const { process: child } = launched;
  const connect = connectOptions({
    app,
    type,
    address: launched.address,
    peer: { name, pid: child.pid, exited, reason: child.exitReason?.bind(child) },
    rpc: options.rpc,
    implementations: extras.clientImplementations,
  });
  let attached: unknown;
  if (options.shutdownOn === 'connection-closed') {
    // Closing ends the worker; one whose event loop is blocked cannot notice, so it gets the same grace as shutdown().
    const afterClose = (): Promise<unknown> => {
      child.hold?.(true);
      return exitWithin(exited, (signal) => child.kill(signal), DEFAULTS.shutdownGraceMs);
    };
    attached = await openWorkerConnection({ ...connect, afterClose }, options.connectionInit);
  } else {
    attached = await workerHandle({
      id,
      connect,
      exited,
      connectionInit: options.connectionInit,
      kill: (signal) => child.kill(signal),
      hold: () => child.hold?.(true),
    });
  }
  // Ready: from now on only its calls in flight, or someone awaiting its exit, keep this program alive for it.
  child.hold?.(false);
  return attached;
}

/**
 * The worker's exit status, as its process reports it, with one exception. A worker's process normally ends within
 * milliseconds of its `'exit'` event, whose handler tells this process the code. One still there after the shutdown
 * grace is stuck (in Node's own shutdown, or in an `'exit'` handler that never returns) with its sockets open, so
 * nothing else would tell this process it is gone: it is SIGKILLed with a warning, and its status is the code it was
 * exiting with.
 */
function watchExit(
  name: string,
  child: LaunchedProcess,
): { exited: Promise<ExitStatus>; announced: (code: number) => void } {
  let announced: number | undefined;
  let killed = false;
  const announce = (code: number): void => {
    if (announced !== undefined) return;
    announced = code;
    const timer = setTimeout(() => {
      killed = true;
      warn(
        'COHORT_WORKER_EXIT_HUNG',
        `worker "${name}" (pid ${child.pid}) was exiting with code ${code} but had not ended ` +
          `${DEFAULTS.shutdownGraceMs} ms later; it was SIGKILLed`,
      );
      child.kill('SIGKILL');
    }, DEFAULTS.shutdownGraceMs);
    timer.unref();
    void child.exited.then(() => clearTimeout(timer));
  };
  const exited = child.exited.then((status) =>
    killed && announced !== undefined && status.signal === 'SIGKILL' ? { code: announced, signal: null } : status,
  );
  return { exited, announced: announce };
}

/**
 * Reports a ready worker sends its spawner: a late failure (once), a one-way function's error, an exit on purpose, the
 * code its process is exiting with.
 */
function watchReports(
  control: ControlChannel,
  name: string,
  onFailure: ResolvedSpawnOptions['onFailure'],
  onExitNotice: SpawnExtras['onExitNotice'],
  onExit: (code: number) => void,
): void {
  let reported = false;
  control.onMessage((raw) => {
    const report = reportSchema().safeParse(raw, ONCE);
    if (!report.success) return;
    if (report.data.t === 'exiting') onExitNotice?.(report.data.reason);
    if (report.data.t === 'exit') onExit(report.data.code);
    if (report.data.t === 'one-way-error')
      warn('COHORT_ONE_WAY_FAILED', `worker "${name}": one-way ${report.data.rpc} threw: ${report.data.message}`);
    if (report.data.t !== 'failure' || reported) return;
    reported = true;
    const error = new CohortError(
      'WORKER_FAILED',
      `worker "${name}" failed and is exiting (code 254): ${report.data.message}`,
      { worker: name },
    );
    if (onFailure !== undefined) onFailure(error);
    else warn('COHORT_WORKER_FAILED', error.message);
  });
}
