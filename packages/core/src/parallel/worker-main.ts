import { Socket } from 'node:net';
import { type RpcSettings, describeThrown } from '@cohort/rpc/internal';
import { setApp } from '../app/app.js';
import { checkBootstrap, type Bootstrap, type Report } from '../process/bootstrap.js';
import { forgetCompileCacheEnv } from '../process/compile-cache.js';
import { ControlChannel } from '../process/control-channel.js';
import { watchLifeline } from '../process/lifeline.js';
import { CONTROL_FD, LAUNCH_DIR_VARIABLE, launchDir, LIFELINE_FD, WORKER_MARKER } from '../process/worker-launch.js';
import { WorkerExitPolicy } from './exit-policy.js';
import { setPurposefulExit } from './worker-exit.js';
import { workerTypes } from './type-registry.js';
import { ListenFailed, WorkerServer } from './worker-server.js';
import { shapeDifferences, shapeOf } from './type-shape.js';

/** How long a report may take to reach the spawner before the worker exits anyway. */
const REPORT_FLUSH_MS = 1000;

/**
 * The life of a worker process: read the bootstrap from the control channel, serve the requested type, report
 * ready; its exit policy ends it. Never returns.
 */
export async function runWorker(fallbackRpc: RpcSettings | undefined): Promise<never> {
  // Read before the variable goes: this worker's own workers start where the app started.
  launchDir();
  // Children this worker starts for its own purposes must not mistake themselves for Cohort workers.
  delete process.env[WORKER_MARKER];
  delete process.env[LAUNCH_DIR_VARIABLE];
  forgetCompileCacheEnv();
  makeOutputBlocking();
  const control = new ControlChannel(new Socket({ fd: CONTROL_FD, readable: true, writable: true }));
  const bootstrap = await readBootstrap(control, CONTROL_FD);
  // Node can hang in its own shutdown after 'exit' (a platform thread that never finishes, nodejs/node#64274), with
  // every descriptor still open: the spawner would wait for an exit that never comes. Told here, it ends the process
  // if it is still there long after.
  process.once('exit', (code) => control.sendNow(CONTROL_FD, { t: 'exit', code }));
  const entry = process.argv[1] ?? '(unknown entry script)';
  const rpc = (bootstrap.rpc as RpcSettings | undefined) ?? fallbackRpc;
  const app = setApp({
    secret: bootstrap.secret,
    rpc,
    entry,
    socketSpace: bootstrap.socketSpace,
    rootPid: bootstrap.rootPid,
  });

  let server: WorkerServer | undefined;
  const policy = new WorkerExitPolicy(bootstrap, app.sockets, async () => server?.close('the worker is exiting'));
  const report = async (message: Report): Promise<void> => {
    await Promise.race([
      control.send(message).catch(() => undefined),
      new Promise((r) => setTimeout(r, REPORT_FLUSH_MS)),
    ]);
  };
  const fail = (kind: string) => (error: unknown) => {
    const message = `${kind} in worker "${bootstrap.name}": ${describeThrown(error, { stack: true })}`;
    process.stderr.write(`${message}\n`);
    void report({ t: 'failure', message }).then(() => policy.exit(254));
  };
  setPurposefulExit(async (code, reason) => {
    await report({ t: 'exiting', reason });
    return policy.exit(code);
  });
  process.on('uncaughtException', fail('uncaught exception'));
  process.on('unhandledRejection', fail('unhandled rejection'));

  if (bootstrap.shutdownOn === 'shutdown-called') {
    // This worker outlives its spawner, whose end of our stdout/stderr pipes may vanish.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  } else {
    watchLifeline(LIFELINE_FD, () => void policy.exit(254, { lostSpawner: true }), {
      thread: bootstrap.lifeline === 'thread',
    });
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
    return policy.exit(1);
  }
  // Before initWorkerState runs: a worker that would serve other functions than its spawner calls must not start.
  const skew = shapeDifferences(bootstrap.shape, shapeOf(type));
  if (skew.length > 0) {
    await report({ t: 'error', message: describeSkew(entry, type.name, skew) });
    return policy.exit(1);
  }
  try {
    server = await WorkerServer.start(type, bootstrap.init, {
      id: bootstrap.id,
      name: bootstrap.name,
      address: bootstrap.listen,
      secret: bootstrap.secret,
      rpc: bootstrap.rpc as RpcSettings | undefined,
      onShutdown: () => void policy.exit(0),
      onConnectionReady: (connection) => policy.onConnectionReady(connection),
      onOneWayError: (error, rpc) =>
        void report({ t: 'one-way-error', rpc, message: describeThrown(error, { stack: true }) }),
    });
  } catch (error) {
    const message =
      error instanceof ListenFailed
        ? error.message
        : `initWorkerState of type "${type.name}" threw: ${describeThrown(error, { stack: true })}`;
    await report({ t: 'error', message });
    return policy.exit(1);
  }
  policy.armConnectionTimeout();
  await report({ t: 'ready', address: server.address });
  return new Promise<never>(() => undefined);
}

/** At most this many differences are listed; the rest are counted. */
const SKEW_LINES = 5;

function describeSkew(entry: string, typeName: string, differences: string[]): string {
  const listed = differences.slice(0, SKEW_LINES);
  const more = differences.length - listed.length;
  return (
    `the entry script ${entry} defines worker type "${typeName}" differently from the spawner (version skew): ` +
    `${listed.join('; ')}${more > 0 ? `; and ${more} more difference${more > 1 ? 's' : ''}` : ''}. ` +
    'Run the same version of the program on both sides (for a worker on another machine, install there the entry ' +
    'script and the modules it imports as the spawner has them)'
  );
}

/**
 * Node writes to pipes asynchronously and drops what is still pending when the process exits, so output written
 * just before `process.exit()` (the user's, or Cohort's own exits: shutdown, idle quit, lost spawner) would be cut
 * short. Blocking pipes, as a terminal or a file already is, make every write complete before the next statement:
 * all of it reaches the spawner, in order. A write blocks only while the spawner's pipe is full.
 *
 * Both are opened here (about 1 ms), not made blocking on their first use instead: a program that logged before
 * `startApp()` has already opened stdout, and console keeps that stream (the output tests print through it).
 */
function makeOutputBlocking(): void {
  for (const stream of [process.stdout, process.stderr]) {
    (stream as { _handle?: { setBlocking?: (blocking: boolean) => void } })._handle?.setBlocking?.(true);
  }
}

function readBootstrap(control: ControlChannel, fd: number): Promise<Bootstrap> {
  let received = false;
  const bootstrap = new Promise<Bootstrap>((resolve) => {
    const giveUp = (why: string): void => {
      process.stderr.write(`cohort worker: no valid bootstrap from the spawner (${why}); exiting\n`);
      process.exit(1);
    };
    // Only until the bootstrap arrives: afterwards the control channel closing (the spawner exiting) is the
    // lifeline's business (exit 254), or nobody's for a 'shutdown-called' worker, which outlives its spawner.
    const stopWatchingClose = control.onClose(giveUp);
    const stopListening = control.onMessage((raw) => {
      received = true;
      stopWatchingClose();
      stopListening();
      const bootstrap = checkBootstrap(raw);
      if (typeof bootstrap === 'string') giveUp(`malformed bootstrap: ${bootstrap}`);
      else resolve(bootstrap);
    });
  });
  // Usually already there; a spare's comes when a spawn takes it, through the stream.
  control.readArrived(fd, () => received);
  return bootstrap;
}
