import { Socket } from 'node:net';
import type { Connection, RpcSettings } from '@cohort/rpc';
import { makeApp, setApp } from '../app/app.js';
import { removeIfEmpty } from '../app/socket-dir.js';
import { CONTROL_FD, LAUNCH_DIR_VARIABLE, LIFELINE_FD } from '../host/local.js';
import { ControlChannel } from '../process/control-channel.js';
import { watchLifeline } from '../process/lifeline.js';
import { processGone } from '../process/process-gone.js';
import { WORKER_MARKER, bootstrapSchema, type Bootstrap, type Report } from './bootstrap.js';
import { ListenFailed, WorkerServer } from './worker-server.js';
import { workerTypes } from './worker-type.js';

const REPORT_FLUSH_MS = 1000;

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

/**
 * The life of a worker process: read the bootstrap from the control channel, serve the requested type, report
 * ready, and exit when its shutdown condition is met. Never returns.
 */
export async function runWorker(fallbackRpc: RpcSettings | undefined): Promise<never> {
  // Children this worker starts for its own purposes must not mistake themselves for Cohort workers.
  delete process.env[WORKER_MARKER];
  delete process.env[LAUNCH_DIR_VARIABLE];
  const control = new ControlChannel(new Socket({ fd: CONTROL_FD, readable: true, writable: true }));
  const bootstrap = await readBootstrap(control);
  const entry = process.argv[1] ?? '(unknown entry script)';
  setApp(
    makeApp({
      secret: bootstrap.secret,
      rpc: (bootstrap.rpc as RpcSettings | undefined) ?? fallbackRpc,
      entry,
      socketDir: bootstrap.socketDir,
      rootPid: bootstrap.rootPid,
    }),
  );
  // Read now: once the spawner is gone, this process is re-parented.
  const spawnerIsRoot = bootstrap.rootPid !== undefined && process.ppid === bootstrap.rootPid;

  let server: WorkerServer | undefined;
  let exiting = false;
  const report = async (message: Report): Promise<void> => {
    await Promise.race([control.send(message).catch(() => undefined), new Promise((r) => setTimeout(r, REPORT_FLUSH_MS))]);
  };
  const exit = async (code: number, lostSpawner = false): Promise<never> => {
    if (!exiting) {
      exiting = true;
      await server?.close('the worker is exiting').catch(() => undefined);
      // The socket directory belongs to the app's root process, which removes it when it exits normally. Once the
      // root is gone (it may have been SIGKILLed), the last worker out removes it; while the root lives, an empty
      // directory is still its to spawn into, even if this worker's own spawner (another worker) is gone.
      // A worker without the app's directory (on another machine) made its own, removed by its own exit hook.
      const { socketDir, rootPid } = bootstrap;
      if (socketDir !== undefined && rootPid !== undefined && ((lostSpawner && spawnerIsRoot) || processGone(rootPid))) {
        removeIfEmpty(socketDir);
      }
      process.exit(code);
    }
    return new Promise<never>(() => undefined);
  };

  const fail = (kind: string) => (error: unknown) => {
    const message = `${kind} in worker "${bootstrap.name}": ${describeError(error)}`;
    process.stderr.write(`${message}\n`);
    void report({ t: 'failure', message }).then(() => exit(254));
  };
  process.on('uncaughtException', fail('uncaught exception'));
  process.on('unhandledRejection', fail('unhandled rejection'));

  if (bootstrap.shutdownOn === 'shutdown-called') {
    // This worker outlives its spawner, whose end of our stdout/stderr pipes may vanish.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  } else {
    watchLifeline(LIFELINE_FD, () => void exit(254, true));
  }

  const type = workerTypes.get(bootstrap.type);
  if (type === undefined) {
    const known = workerTypes.names();
    await report({
      t: 'error',
      message:
        `the entry script ${entry} does not define worker type "${bootstrap.type}" ` +
        `(it defines: ${known.length === 0 ? 'none' : known.join(', ')}); define it with Parallel.make at the top level, ` +
        'before `await startApp()`',
    });
    return exit(1);
  }

  let connectionTimer: NodeJS.Timeout | undefined;
  let shutdownConnection: Connection | undefined;
  const onConnectionReady = (connection: Connection): void => {
    if (bootstrap.shutdownOn !== 'connection-closed' || shutdownConnection !== undefined) return;
    shutdownConnection = connection;
    clearTimeout(connectionTimer);
    void connection.closed.then(() => exit(0));
  };
  try {
    server = await WorkerServer.start(type, bootstrap.init, {
      id: bootstrap.id,
      name: bootstrap.name,
      address: bootstrap.listen,
      secret: bootstrap.secret,
      rpc: bootstrap.rpc as RpcSettings | undefined,
      onShutdown: () => void exit(0),
      onConnectionReady,
    });
  } catch (error) {
    const message = error instanceof ListenFailed ? error.message : `initWorkerState of type "${type.name}" threw: ${describeError(error)}`;
    await report({ t: 'error', message });
    return exit(1);
  }
  if (bootstrap.shutdownOn === 'connection-closed') {
    connectionTimer = setTimeout(() => {
      process.stderr.write(`worker "${bootstrap.name}": no connection within ${bootstrap.connectionTimeoutMs} ms, exiting\n`);
      void exit(254);
    }, bootstrap.connectionTimeoutMs);
  }
  await report({ t: 'ready', address: server.address });
  return new Promise<never>(() => undefined);
}

function readBootstrap(control: ControlChannel): Promise<Bootstrap> {
  return new Promise((resolve) => {
    const giveUp = (why: string): void => {
      process.stderr.write(`cohort worker: no valid bootstrap from the spawner (${why}); exiting\n`);
      process.exit(1);
    };
    // Only until the bootstrap arrives: afterwards the control channel closing (the spawner exiting) is the
    // lifeline's business (exit 254), or nobody's for a 'shutdown-called' worker, which outlives its spawner.
    const stopWatchingClose = control.onClose(giveUp);
    const stopListening = control.onMessage((raw) => {
      stopWatchingClose();
      stopListening();
      const parsed = bootstrapSchema.safeParse(raw);
      if (parsed.success) resolve(parsed.data);
      else giveUp('malformed bootstrap');
    });
  });
}
