import { ValidationError, resolveRpcSettings, type AnyImplementation, type RpcSettings } from '@cohort/rpc';
import { requireApp, type App } from '../app/app.js';
import { CohortError } from '../errors.js';
import type { LaunchedProcess, LaunchRequest } from '../host/host.js';
import { localHost } from '../host/local.js';
import { ControlChannel } from '../process/control-channel.js';
import { exitWithin } from '../process/exit-grace.js';
import { showProcessStatus } from '../process/exit-status.js';
import { WORKER_MARKER, reportSchema, type Bootstrap } from './bootstrap.js';
import type { SpawnOptions } from './spawn-options.js';
import { Worker } from './worker.js';
import { openWorkerConnection } from './worker-connection.js';
import type { AnyWorkerType } from './worker-type.js';

const DEFAULT_SPAWN_TIMEOUT_MS = 20_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;

type AnySpawnOptions = SpawnOptions<unknown, unknown>;

/** What Cohort's own layers (the scheduler) add to a spawn; not part of the public options. */
export interface InternalSpawnOptions {
  /** Served by the spawner to the worker over the handle's default connection. */
  readonly clientImplementations?: readonly AnyImplementation[];
}

/** Starts a worker process of `type` and waits until it serves; on any failure, no process is left behind. */
export async function spawnWorker(type: AnyWorkerType, options: AnySpawnOptions, internal: InternalSpawnOptions = {}): Promise<unknown> {
  const app = requireApp(`${type.name}.spawn()`);
  const checked = type.workerInit.safeParse(options.init);
  if (!checked.success) {
    throw new ValidationError({ side: 'input', rpc: `${type.name} workerInit`, issues: checked.error.issues, what: 'workerInit' });
  }
  const shutdownOn = options.shutdownOn ?? 'heartbeat-lost';
  // A connectionInit that was given (or is needed now) must be valid before any process starts: otherwise spawn
  // would quietly return a handle without its default connection, and every `run` would fail later.
  if (options.connectionInit !== undefined || shutdownOn === 'connection-closed') {
    const connectionInit = type.connectionInit.safeParse(options.connectionInit);
    if (!connectionInit.success) {
      throw new ValidationError({ side: 'input', rpc: `${type.name} connectionInit`, issues: connectionInit.error.issues, what: 'connectionInit' });
    }
  }
  const id = app.nextWorkerId();
  const name = options.name ?? `${type.name}-${id}`;
  const host = options.host ?? localHost();
  const rpc = options.rpc ?? app.rpc;
  const spawnTimeoutMs = options.spawnTimeoutMs ?? DEFAULT_SPAWN_TIMEOUT_MS;
  const began = performance.now();
  const spare = usesDefaultProcess(options) ? app.spares?.take() : undefined;
  spare?.rename?.(name);
  // The launch counts against spawnTimeoutMs too: reaching another machine may take most of it.
  const launched = spare ?? (await host.launch({ ...launchRequest(app, name, options), signal: AbortSignal.timeout(spawnTimeoutMs) }));
  const bootstrap: Bootstrap = {
    v: 1,
    type: type.name,
    id,
    name,
    secret: app.secret,
    init: options.init,
    listen: launched.transport === 'unix' ? { path: app.socketPath(id) } : { host: launched.listenHost ?? '0.0.0.0', port: 0 },
    ...(rpc === undefined ? {} : { rpc: rpc as Record<string, unknown> }),
    shutdownOn,
    connectionTimeoutMs: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    // A worker on another machine has no access to this directory: it makes its own, as the root of its machine.
    ...(launched.transport === 'unix' ? { socketDir: app.socketDir(), rootPid: app.rootPid } : {}),
  };
  if (shutdownOn === 'shutdown-called' && 'path' in bootstrap.listen) {
    // The worker outlives this process: its socket must outlive this process's cleanup of the directory.
    const socket = bootstrap.listen.path;
    app.keptSockets.add(socket);
    void launched.exited.then(() => app.keptSockets.delete(socket));
  }
  const describe = `worker "${name}" (type ${type.name}, pid ${launched.pid})`;
  const control = new ControlChannel(launched.control);
  void launched.exited.then(() => {
    control.destroy();
    launched.release();
  });
  try {
    control.send(bootstrap).catch(() => undefined);
    const remainingMs = Math.max(0, spawnTimeoutMs - (performance.now() - began));
    const address = await waitReady(control, launched, describe, spawnTimeoutMs, remainingMs);
    watchFailures(control, name, options.onFailure);
    const connectAddress = 'path' in address ? address : { host: launched.connectHost ?? address.host, port: address.port };
    return await connect(type, app, rpc, options, shutdownOn, launched, { id, name, address: connectAddress }, internal);
  } catch (error) {
    launched.kill('SIGKILL');
    await launched.exited;
    throw error;
  }
}

/** How a worker process of this app is started; spares use the defaults. */
export function launchRequest(app: App, name: string, options: AnySpawnOptions = {}): LaunchRequest {
  const rpc = resolveRpcSettings(options.rpc ?? app.rpc);
  return {
    execPath: process.execPath,
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
    entry: app.entry,
    args: process.argv.slice(2),
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), [WORKER_MARKER]: '1' },
    spawnEnv: options.env,
    detached: options.shutdownOn === 'shutdown-called',
    heartbeat: rpc.heartbeat,
    stdout: options.stdout,
    stderr: options.stderr,
    name,
  };
}

/** Whether a spare (launched with default process options) can serve this spawn. */
function usesDefaultProcess(options: AnySpawnOptions): boolean {
  return (
    options.host === undefined &&
    options.cwd === undefined &&
    options.env === undefined &&
    (options.execArgv ?? []).length === 0 &&
    (options.stdout ?? 'inherit') === 'inherit' &&
    (options.stderr ?? 'inherit') === 'inherit'
  );
}

async function connect(
  type: AnyWorkerType,
  app: App,
  rpc: RpcSettings | undefined,
  options: AnySpawnOptions,
  shutdownOn: NonNullable<AnySpawnOptions['shutdownOn']>,
  launched: LaunchedProcess,
  worker: { id: string; name: string; address: Worker<string>['ref']['address'] },
  internal: InternalSpawnOptions,
): Promise<unknown> {
  const peer = { name: worker.name, pid: launched.pid, exited: launched.exited };
  const connectionOptions = {
    address: worker.address,
    secret: app.secret,
    rpc,
    workerType: type.name,
    connectionInitSchema: type.connectionInit,
    peer,
    ...(internal.clientImplementations === undefined ? {} : { implementations: internal.clientImplementations }),
  };
  if (shutdownOn === 'connection-closed') {
    // Closing ends the worker; one whose event loop is blocked cannot notice, so it gets the same grace as shutdown().
    const afterClose = (): Promise<unknown> => exitWithin(launched.exited, (signal) => launched.kill(signal));
    return openWorkerConnection({ ...connectionOptions, afterClose }, options.connectionInit);
  }
  // Open the default connection now when the connection argument allows it, so the first `run` is one round trip.
  const defaultConnection = type.connectionInit.safeParse(options.connectionInit).success
    ? await openWorkerConnection(connectionOptions, options.connectionInit)
    : undefined;
  return new Worker<string>({
    typeName: type.name,
    connectionInitSchema: type.connectionInit,
    id: worker.id,
    name: worker.name,
    pid: launched.pid,
    address: worker.address,
    secret: app.secret,
    rpc,
    exited: launched.exited,
    defaultConnection,
    connectionInit: options.connectionInit,
    kill: (signal) => launched.kill(signal),
  });
}

function waitReady(
  control: ControlChannel,
  launched: LaunchedProcess,
  describe: string,
  timeoutMs: number,
  remainingMs: number,
): Promise<{ path: string } | { host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(
        new CohortError(
          'SPAWN_TIMEOUT',
          `${describe} did not report ready within ${timeoutMs} ms; it was killed. Check that the entry script reaches ` +
            '`await startApp()` quickly and that initWorkerState finishes, or raise spawnTimeoutMs',
        ),
      );
    }, remainingMs);
    const stopListening = control.onMessage((raw) => {
      const report = reportSchema.safeParse(raw);
      if (!report.success) return;
      if (report.data.t === 'ready') {
        done();
        resolve(report.data.address);
      } else if (report.data.t === 'error') {
        done();
        reject(new CohortError('SPAWN_FAILED', `${describe} failed to start: ${report.data.message}`));
      }
    });
    let exitedFirst = true;
    void launched.exited.then((status) => {
      if (!exitedFirst) return;
      done();
      const tail = launched.stderrTail().trim();
      reject(
        new CohortError(
          'SPAWN_FAILED',
          `${describe} ${showProcessStatus(status)} before it was ready` + (tail === '' ? '' : `; its stderr ended with:\n${tail}`),
        ),
      );
    });
    function done(): void {
      exitedFirst = false;
      clearTimeout(timer);
      stopListening();
    }
  });
}

function watchFailures(control: ControlChannel, name: string, onFailure: AnySpawnOptions['onFailure']): void {
  let reported = false;
  control.onMessage((raw) => {
    const report = reportSchema.safeParse(raw);
    if (!report.success || report.data.t !== 'failure' || reported) return;
    reported = true;
    const error = new CohortError('WORKER_FAILED', `worker "${name}" failed and is exiting (code 254): ${report.data.message}`, {
      worker: name,
    });
    if (onFailure !== undefined) onFailure(error);
    else process.emitWarning(error.message, { code: 'COHORT_WORKER_FAILED' });
  });
}
