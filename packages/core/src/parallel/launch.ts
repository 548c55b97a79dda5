import { connect as netConnect } from 'node:net';
import { resolveRpcSettings, type Address } from '@cohort/rpc/internal';
import type { App } from '../app/app.js';
import { CohortError } from '../common/errors.js';
import { ONCE } from '../common/options.js';
import type { LaunchedProcess, LaunchRequest } from '../host/host.js';
import { localHost } from '../host/local.js';
import { reportSchema, type Bootstrap } from '../process/bootstrap.js';
import { ControlChannel } from '../process/control-channel.js';
import { showProcessStatus } from '../process/exit-status.js';
import { WORKER_MARKER } from '../process/worker-launch.js';
import { localWorkerInspector, workerInspector, type WorkerInspector } from './inspector-flags.js';
import type { ProcessOptions, ResolvedSpawnOptions } from './spawn-options.js';
import type { AnyWorkerType } from './type-registry.js';
import { shapeOf } from './type-shape.js';
import { registerTunnel, type WorkerAddress } from './tunnels.js';

/** A worker process that has reported ready. */
export interface LaunchedWorker {
  readonly process: LaunchedProcess;
  readonly control: ControlChannel;
  /** Where this process connects to the worker: a socket address, or its tunnel. */
  readonly address: WorkerAddress;
}

/** With `transport: 'auto'`: how long a TCP connection to a new worker may take before the tunnel is used instead. */
const AUTO_PROBE_MS = 3000;

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
  type: AnyWorkerType,
  id: string,
  name: string,
  options: ResolvedSpawnOptions,
  takeSpare?: () => LaunchedProcess | undefined,
): Promise<LaunchedWorker> {
  const rpc = options.rpc ?? app.rpc;
  const typeName = type.name;
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
    launched =
      spare ??
      (await host.launch({
        ...launchRequest(app, name, options, inspector),
        signal: AbortSignal.timeout(options.spawnTimeoutMs),
      }));
  } catch (error) {
    inspector.release();
    throw error;
  }
  if (options.shutdownOn === 'shutdown-called') launched.outliveSpawner?.();
  // The worker's inspector port is free again once it has exited.
  void launched.exited.then(() => inspector.release());
  const local = launched.transport === 'unix';
  const bootstrap: Bootstrap = {
    v: 1,
    type: typeName,
    shape: shapeOf(type),
    id,
    name,
    secret: app.secret,
    init: options.init,
    listen: listenAddress(app, id, launched),
    ...(rpc === undefined ? {} : { rpc: rpc as Record<string, unknown> }),
    shutdownOn: options.shutdownOn,
    lifeline: launched.watched === true ? 'main' : 'thread',
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
    const connectTo = await reach(
      launched,
      id,
      name,
      address,
      Math.max(0, options.spawnTimeoutMs - (performance.now() - began)),
    );
    return { process: launched, control, address: connectTo };
  } catch (error) {
    launched.kill('SIGKILL');
    await launched.exited;
    throw error;
  }
}

/** Where the worker listens, on its machine: by its spawner, a Unix socket on the worker's machine (tunnels), or TCP. */
function listenAddress(app: App, id: string, launched: LaunchedProcess): Address {
  if (launched.transport === 'unix') return { path: app.socketPath(id) };
  if (launched.transport === 'tunnel') return { path: launched.tunnelSocket!(id) };
  return { host: launched.listenHost ?? '0.0.0.0', port: 0 };
}

/**
 * How this process reaches a ready worker at `address` (where it listens, on its machine): directly, or through
 * its launcher's tunnel. With `'auto'` the choice is made here, once, before any connection: a TCP connection is
 * tried (for at most AUTO_PROBE_MS), and only if none can be made is the tunnel used — the same worker, the same
 * authenticated handshake, so nothing else changes. With `'tcp'`, a worker this process cannot reach fails the
 * spawn, saying so.
 */
async function reach(
  launched: LaunchedProcess,
  id: string,
  name: string,
  address: Address,
  remainingMs: number,
): Promise<WorkerAddress> {
  const { transport } = launched;
  if (transport === 'unix' || 'path' in address) {
    if (transport !== 'tunnel') return address;
    return tunnelTo(launched, id, address);
  }
  const hostName = launched.hostName ?? 'its host';
  const connectHost = launched.connectHost;
  if (transport === 'tcp') {
    if (connectHost === undefined) {
      throw new CohortError(
        'SPAWN_FAILED',
        `worker "${name}" is ready on ${hostName}, but no address of its machine is known to connect to by TCP (it has no ` +
          "network interface but loopback?): give the host's connectHost option, or use transport 'tunnel'",
        { worker: name },
      );
    }
    const failure = await probeTcp(connectHost, address.port, remainingMs);
    if (failure !== undefined) {
      throw new CohortError(
        'SPAWN_FAILED',
        `worker "${name}" is ready on ${hostName}, listening on port ${address.port}, but this process cannot reach it ` +
          `by TCP at ${connectHost}:${address.port} (${failure}): its machine is not reachable from here (a pod, a NAT, ` +
          "a firewall?). Use transport 'tunnel' (through the launcher) or 'auto', or set the host's connectHost/listenHost",
        { worker: name },
      );
    }
    return { host: connectHost, port: address.port };
  }
  if (
    connectHost !== undefined &&
    (await probeTcp(connectHost, address.port, Math.min(AUTO_PROBE_MS, remainingMs))) === undefined
  ) {
    return { host: connectHost, port: address.port };
  }
  return tunnelTo(launched, id, address);
}

function tunnelTo(launched: LaunchedProcess, id: string, address: Address): WorkerAddress {
  const { openTunnel } = launched;
  if (openTunnel === undefined)
    throw new Error(`Cohort: a launcher with transport '${launched.transport}' must give openTunnel`);
  const tunnel = registerTunnel(id, launched.hostName ?? 'its launcher', () => openTunnel.call(launched, address));
  void launched.exited.then(tunnel.remove);
  return tunnel.address;
}

/** Whether a TCP connection to host:port opens within `timeoutMs`: undefined if it does, else why not. */
function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (failure: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => done(`no connection within ${Math.round(timeoutMs)} ms`), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', (error) => done(error.message));
  });
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
      reject(
        new CohortError(
          'SPAWN_TIMEOUT',
          `${describe} did not report ready within ${timeoutMs} ms; it was killed${hint}`,
        ),
      );
    }, remainingMs);
    const stopListening = control.onMessage((raw) => {
      const report = reportSchema().safeParse(raw, ONCE);
      if (!report.success) return;
      if (report.data.t === 'ready' && settle()) resolve(report.data.address);
      else if (report.data.t === 'error' && settle())
        reject(new CohortError('SPAWN_FAILED', `${describe} failed to start: ${report.data.message}`));
    });
    void launched.exited.then((status) => {
      if (!settle()) return;
      const tail = launched.stderrTail().trim();
      const why = launched.exitReason?.();
      reject(
        new CohortError(
          'SPAWN_FAILED',
          `${describe} ${showProcessStatus(status)} before it was ready${why === undefined ? '' : ` (${why})`}` +
            (tail === '' ? '' : `; its stderr ended with:\n${tail}`),
          { exitStatus: status },
        ),
      );
    });
  });
}
