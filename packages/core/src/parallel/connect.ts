import { requireApp } from '../app/app.js';
import { CohortError } from '../common/errors.js';
import { ONCE } from '../common/options.js';
import { shutdownOnDisconnect } from './internal-rpcs.js';
import { workerRefSchema, type WorkerRef } from './ref.js';
import { workerTypes, type AnyWorkerType } from './type-registry.js';
import { openWorkerConnection, type WorkerConnection } from './worker-connection.js';
import { connectOptions } from './worker-handle.js';

function checkRef(ref: unknown): WorkerRef {
  const parsed = workerRefSchema().safeParse(ref, ONCE);
  if (!parsed.success)
    throw new CohortError(
      'INVALID_ARGUMENT',
      'not a WorkerRef: pass `worker.ref` (validate it with Parallel.workerRef)',
    );
  return parsed.data;
}

/** `Type.connect(ref, init)`: a connection to a running worker of `type` that this process did not spawn. */
export async function connectToRef(
  type: AnyWorkerType,
  ref: WorkerRef,
  init: unknown,
  shutdownOnClose = false,
): Promise<WorkerConnection<string>> {
  const checked = checkRef(ref);
  if (checked.type !== type.name) {
    throw new CohortError(
      'WRONG_WORKER_TYPE',
      `worker "${checked.name}" is of type ${checked.type}, not ${type.name}`,
      { worker: checked.name },
    );
  }
  const app = requireApp(`${type.name}.connect()`);
  const peer = { name: checked.name, pid: checked.pid, exited: undefined };
  const connection = await openWorkerConnection(connectOptions({ app, type, address: checked.address, peer }), init);
  if (shutdownOnClose) {
    try {
      await connection.connection.dispatch(shutdownOnDisconnect, undefined);
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
export async function connectAndShutdownOnDisconnect<N extends string>(
  ref: WorkerRef<N>,
  connectionInit?: unknown,
): Promise<WorkerConnection<N>> {
  // Async so that a bad ref rejects, like every other failure, instead of throwing at the call.
  const checked = checkRef(ref);
  const type = workerTypes.get(checked.type);
  if (type === undefined) {
    throw new CohortError('WRONG_WORKER_TYPE', `this program does not define worker type "${checked.type}"`);
  }
  return (await connectToRef(type, checked, connectionInit, true)) as WorkerConnection<N>;
}
