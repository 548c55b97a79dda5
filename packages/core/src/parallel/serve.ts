import pDefer from 'p-defer';
import { requireApp } from '../app/app.js';
import type { ExitStatus } from '../process/exit-status.js';
import type { AnyWorkerType } from './type-registry.js';
import type { Worker } from './worker.js';
import { connectOptions, workerHandle } from './worker-handle.js';
import { WorkerServer } from './worker-server.js';

/** Options of `Type.serve`. */
export interface ServeOptions<ConnectionInit> {
  /** Argument of the handle's default connection; needed for `worker.run` when the type's `connectionInit` requires one. */
  connectionInit?: ConnectionInit;
}

/** `Type.serve(init)`: the worker type served inside this process, behind the same `Worker` handle as a spawn. */
export async function serveInProcess(
  type: AnyWorkerType,
  init: unknown,
  options: ServeOptions<unknown>,
): Promise<Worker<string>> {
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
  return workerHandle({
    id,
    connect: connectOptions({ app, type, address: server.address, peer }),
    exited: exited.promise,
    connectionInit: options.connectionInit,
    // An in-process worker has no process of its own to signal: "killing" it stops serving.
    kill: (signal) => stop({ code: null, signal }),
  });
}
