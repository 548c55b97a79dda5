import pDefer from 'p-defer';
import { requireApp } from '../app/app.js';
import { CohortError } from '../errors.js';
import type { ExitStatus } from '../process/exit-status.js';
import { workerRefSchema, type WorkerRef } from './ref.js';
import { spawnWorker } from './spawn.js';
import { Worker } from './worker.js';
import { openWorkerConnection, type WorkerConnection } from './worker-connection.js';
import { WorkerServer } from './worker-server.js';
import { installWorkerTypeOperations, workerTypes, type AnyWorkerType, type ServeOptions } from './worker-type.js';

/** `Type.serve(init)`: the worker type served inside this process. */
async function serveInProcess(type: AnyWorkerType, init: unknown, options: ServeOptions<unknown>): Promise<Worker<string>> {
  const app = requireApp(`${type.name}.serve()`);
  const id = app.nextWorkerId();
  const name = `${type.name}-${id}`;
  const exited = pDefer<ExitStatus>();
  let server: WorkerServer | undefined;
  const stop = (status: ExitStatus): void => {
    void (server?.close('the worker is shutting down') ?? Promise.resolve()).finally(() => exited.resolve(status));
  };
  server = await WorkerServer.start(type, init, {
    id,
    name,
    address: { path: app.socketPath(id) },
    secret: app.secret,
    rpc: app.rpc,
    onShutdown: () => stop({ code: 0, signal: null }),
  });
  const peer = { name, pid: process.pid, exited: exited.promise };
  const connectionOptions = { address: server.address, secret: app.secret, rpc: app.rpc, workerType: type.name, connectionInitSchema: type.connectionInit, peer };
  const { connectionInit } = options;
  // As for spawn: opened now when its argument allows, else on the first `run` (which then names the missing init).
  const defaultConnection = type.connectionInit.safeParse(connectionInit).success
    ? await openWorkerConnection(connectionOptions, connectionInit)
    : undefined;
  return new Worker<string>({
    typeName: type.name,
    connectionInitSchema: type.connectionInit,
    id,
    name,
    pid: process.pid,
    address: server.address,
    secret: app.secret,
    rpc: app.rpc,
    exited: exited.promise,
    defaultConnection,
    connectionInit,
    // An in-process worker has no process of its own to signal: "killing" it stops serving.
    kill: (signal) => stop({ code: null, signal }),
  });
}

function checkRef(ref: unknown): WorkerRef {
  const parsed = workerRefSchema.safeParse(ref);
  if (!parsed.success) throw new CohortError('INVALID_ARGUMENT', 'not a WorkerRef: pass `worker.ref` (validate it with Parallel.workerRef)');
  return parsed.data;
}

async function connectToRef(type: AnyWorkerType, ref: WorkerRef, init: unknown, shutdownOnDisconnect = false): Promise<WorkerConnection<string>> {
  const checked = checkRef(ref);
  if (checked.type !== type.name) {
    throw new CohortError('WRONG_WORKER_TYPE', `worker "${checked.name}" is of type ${checked.type}, not ${type.name}`, { worker: checked.name });
  }
  const app = requireApp(`${type.name}.connect()`);
  const connection = await openWorkerConnection(
    {
      address: checked.address,
      secret: app.secret,
      rpc: app.rpc,
      workerType: type.name,
      connectionInitSchema: type.connectionInit,
      peer: { name: checked.name, pid: checked.pid, exited: undefined },
    },
    init,
  );
  if (shutdownOnDisconnect) {
    const { shutdownOnDisconnect: rpc } = await import('./internal-rpcs.js');
    try {
      await connection.connection.dispatch(rpc, undefined);
    } catch (error) {
      // A connection that does not end the worker is not what the caller asked for: don't leave it open either.
      await connection.close();
      throw error;
    }
  }
  return connection;
}

/**
 * Connects to the worker behind `ref` so that the worker shuts down when this connection closes: the way to own
 * a worker you were handed as a reference.
 */
export async function connectAndShutdownOnDisconnect<N extends string>(ref: WorkerRef<N>, connectionInit?: unknown): Promise<WorkerConnection<N>> {
  // Async so that a bad ref rejects, like every other failure, instead of throwing at the call.
  const checked = checkRef(ref);
  const type = workerTypes.get(checked.type);
  if (type === undefined) {
    throw new CohortError('WRONG_WORKER_TYPE', `this program does not define worker type "${checked.type}"`);
  }
  return (await connectToRef(type, checked, connectionInit, true)) as WorkerConnection<N>;
}

installWorkerTypeOperations({
  spawn: (type, options) => spawnWorker(type, options as Parameters<typeof spawnWorker>[1]),
  serve: serveInProcess,
  connect: (type, ref, init) => connectToRef(type, ref, init),
});
