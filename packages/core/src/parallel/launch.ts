import { resolveRpcSettings, type Address } from '@cohort/rpc';
import type { App } from '../app/app.js';
import { CohortError } from '../common/errors.js';
import type { LaunchedProcess, LaunchRequest } from '../host/host.js';
import { localHost } from '../host/local.js';
import { reportSchema, type Bootstrap } from '../process/bootstrap.js';
import { ControlChannel } from '../process/control-channel.js';
import { showProcessStatus } from '../process/exit-status.js';
import { WORKER_MARKER } from '../process/worker-launch.js';
import { localWorkerInspector, workerInspector, type WorkerInspector } from './inspector-flags.js';
import type { ProcessOptions, ResolvedSpawnOptions } from './spawn-options.js';

/** A worker process that has reported ready. */
export interface LaunchedWorker {
  readonly process: LaunchedProcess;
  readonly control: ControlChannel;
  /** Where this process connects to the worker. */
  readonly address: Address;
}

/**
 * How a worker process of this app is started; spares use the defaults. The master's flags carry over, but for its
 * inspector flags: `inspector` gives the worker its own (see inspector-flags.ts).
 */
export function launchRequest(
  app: App,
  name: string,
  options: ProcessOptions & { shutdownOn?: string } = {},
  inspector: WorkerInspector = workerInspector(process.execArgv, options.inspect, undefined, 'local', name),
): LaunchRequest {
  const rpc = resolveRpcSettings(options.rpc ?? app.rpc);
  return {
    execPath: process.execPath,
    execArgv: [...inspector.execArgv, ...(options.execArgv ?? [])],
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
function usesDefaultProcess(options: ProcessOptions): boolean {
  return (
    options.host === undefined &&
    options.cwd === undefined &&
    options.env === undefined &&
    (options.execArgv ?? []).length === 0 &&
    options.inspect === undefined &&
    options.inspectPortStart === undefined &&
    (options.stdout ?? 'inherit') === 'inherit' &&
    (options.stderr ?? 'inherit') === 'inherit'
  );
}

/**
 * Starts a worker's process (or adopts a spare), sends its bootstrap and waits until it reports ready, all within
 * `spawnTimeoutMs`. On any failure the process is killed, and gone, before this rejects.
 */
export async function launchWorker(
  app: App,
  typeName: string,
  id: string,
  name: string,
  options: ResolvedSpawnOptions,
  takeSpare?: () => LaunchedProcess | undefined,
): Promise<LaunchedWorker> {
  const rpc = options.rpc ?? app.rpc;
  const began = performance.now();
  const spare = takeSpare?.() ?? (usesDefaultProcess(options) ? app.spares?.take() : undefined);
  spare?.rename?.(name);
  // The launch counts against spawnTimeoutMs too: reaching another machine may take most of it.
  const host = options.host ?? localHost();
  const where = `${typeName}.spawn()`;
  // A spare was started as the master's flags say, with a port its system picked: nothing to choose for it.
  const inspector =
    spare !== undefined
      ? workerInspector([], false, undefined, host.name, where)
      : host.name === 'local'
        ? await localWorkerInspector(process.execArgv, options.inspect, options.inspectPortStart, where)
        : workerInspector(process.execArgv, options.inspect, options.inspectPortStart, host.name, where);
  let launched: LaunchedProcess;
  try {
    launched = spare ?? (await host.launch({ ...launchRequest(app, name, options, inspector), signal: AbortSignal.timeout(options.spawnTimeoutMs) }));
  } catch (error) {
    inspector.release();
    throw error;
  }
  // The worker's inspector port is free again once it has exited.
  void launched.exited.then(() => inspector.release());
  const local = launched.transport === 'unix';
  const bootstrap: Bootstrap = {
    v: 1,
    type: typeName,
    id,
    name,
    secret: app.secret,
    init: options.init,
    listen: local ? { path: app.socketPath(id) } : { host: launched.listenHost ?? '0.0.0.0', port: 0 },
    ...(rpc === undefined ? {} : { rpc: rpc as Record<string, unknown> }),
    shutdownOn: options.shutdownOn,
    connectionTimeoutMs: options.connectionTimeoutMs,
    // A worker on another machine has no access to this directory: it makes its own, as the root of its machine.
    ...(local ? { socketSpace: app.sockets.base, rootPid: app.rootPid } : {}),
  };
  if ('path' in bootstrap.listen) {
    const socket = bootstrap.listen.path;
    // A worker that outlives this process keeps its socket through this process's cleanup of the directory.
    if (options.shutdownOn === 'shutdown-called') app.keptSockets.add(socket);
    // A dead worker's socket goes when its death is noticed: a long-lived master replacing workers stays flat.
    void launched.exited.then(() => {
      app.keptSockets.delete(socket);
      app.sockets.release(socket);
    });
  }
  const control = new ControlChannel(launched.control);
  void launched.exited.then(() => {
    control.destroy();
    launched.release();
  });
  try {
    control.send(bootstrap).catch(() => undefined);
    const describe = `worker "${name}" (type ${typeName}, pid ${launched.pid})`;
    const remainingMs = Math.max(0, options.spawnTimeoutMs - (performance.now() - began));
    const address = await waitReady(control, launched, describe, options.spawnTimeoutMs, remainingMs, inspector);
    const connectTo = 'path' in address ? address : { host: launched.connectHost ?? address.host, port: address.port };
    return { process: launched, control, address: connectTo };
  } catch (error) {
    launched.kill('SIGKILL');
    await launched.exited;
    throw error;
  }
}

function waitReady(
  control: ControlChannel,
  launched: LaunchedProcess,
  describe: string,
  timeoutMs: number,
  remainingMs: number,
  inspector: WorkerInspector,
): Promise<Address> {
  return new Promise((resolve, reject) => {
    let pending = true;
    const settle = (): boolean => {
      if (!pending) return false;
      pending = false;
      clearTimeout(timer);
      stopListening();
      return true;
    };
    const timer = setTimeout(() => {
      if (!settle()) return;
      // A worker started with --inspect-brk or --inspect-wait runs nothing until a debugger attaches.
      const { mode, address } = inspector;
      const where = address ?? 'the address it printed on its stderr (Debugger listening on ws://…)';
      const hint =
        mode === 'brk' || mode === 'wait'
          ? `. It was started with --inspect-${mode} and waits for a debugger: attach one to ${where} (chrome://inspect, or node inspect) within spawnTimeoutMs, or raise spawnTimeoutMs`
          : '. Check that the entry script reaches `await startApp()` quickly and that initWorkerState finishes, or raise spawnTimeoutMs';
      reject(new CohortError('SPAWN_TIMEOUT', `${describe} did not report ready within ${timeoutMs} ms; it was killed${hint}`));
    }, remainingMs);
    const stopListening = control.onMessage((raw) => {
      const report = reportSchema.safeParse(raw);
      if (!report.success) return;
      if (report.data.t === 'ready' && settle()) resolve(report.data.address);
      else if (report.data.t === 'error' && settle()) reject(new CohortError('SPAWN_FAILED', `${describe} failed to start: ${report.data.message}`));
    });
    void launched.exited.then((status) => {
      if (!settle()) return;
      const tail = launched.stderrTail().trim();
      reject(
        new CohortError(
          'SPAWN_FAILED',
          `${describe} ${showProcessStatus(status)} before it was ready` + (tail === '' ? '' : `; its stderr ended with:\n${tail}`),
          { exitStatus: status },
        ),
      );
    });
  });
}
