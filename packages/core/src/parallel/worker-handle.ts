import type { AnyImplementation, RpcSettings } from '@cohort/rpc/internal';
import type { App } from '../app/app.js';
import type { ExitStatus } from '../process/exit-status.js';
import type { AnyWorkerType } from './type-registry.js';
import type { WorkerAddress } from './tunnels.js';
import { Worker } from './worker.js';
import { openWorkerConnection, type OpenConnectionOptions, type PeerInfo } from './worker-connection.js';

/** How to reach a worker of `type` at `address`: the one place these options are assembled. */
export function connectOptions(init: {
  readonly app: App;
  readonly type: AnyWorkerType;
  readonly address: WorkerAddress;
  readonly peer: PeerInfo;
  readonly rpc?: RpcSettings | undefined;
  readonly implementations?: readonly AnyImplementation[] | undefined;
}): OpenConnectionOptions {
  return {
    address: init.address,
    secret: init.app.secret,
    rpc: init.rpc ?? init.app.rpc,
    workerType: init.type.name,
    connectionInitSchema: init.type.connectionInit,
    peer: init.peer,
    ...(init.implementations === undefined ? {} : { implementations: init.implementations }),
  };
}

/**
 * A `Worker` handle, for a spawned worker and an in-process one alike. Its default connection is opened now when
 * the connection argument allows, so the first `run` is one round trip; otherwise on the first `run`, which then
 * names the missing argument.
 */
export async function workerHandle(init: {
  readonly id: string;
  readonly connect: OpenConnectionOptions;
  readonly exited: Promise<ExitStatus>;
  readonly connectionInit: unknown;
  kill(signal: NodeJS.Signals): void;
  /** Keeps this program alive until the worker has exited (someone waits for it). */
  hold?(): void;
}): Promise<Worker<string>> {
  const { connect, connectionInit } = init;
  const defaultConnection = connect.connectionInitSchema.safeParse(connectionInit).success
    ? await openWorkerConnection(connect, connectionInit)
    : undefined;
  return new Worker<string>(
    { id: init.id, connect, defaultConnection, connectionInit, kill: init.kill, hold: init.hold },
    init.exited,
  );
}
