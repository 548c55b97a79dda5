import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Address } from '@cohort/rpc/internal';
import { z } from 'zod';
import { CohortError } from '../common/errors.js';
import { lazily } from '../common/options.js';
import { addressSchema } from '../process/bootstrap.js';

/**
 * Where a tunnelled worker is, in its `WorkerRef`: not an address anyone can dial, but the name of a tunnel that
 * only its spawner holds (through the launcher's channel to the agent on the worker's machine).
 */
export interface TunnelAddress {
  /** The worker's id: the key of its tunnel in its spawner. */
  readonly tunnel: string;
  /** The host whose launcher carries it, e.g. `command:kubectl exec -i pod-0 --`. */
  readonly via: string;
  /** The spawner that holds the tunnel: `<pid>@<hostname>`. */
  readonly spawner: string;
}

/** How a process of the app reaches a worker: a socket address, or (from its spawner only) a tunnel. */
export type WorkerAddress = Address | TunnelAddress;

/** Built on first use, as the schemas it builds on (see process/bootstrap.ts). */
export const workerAddressSchema = lazily(() =>
  z.union([addressSchema(), z.object({ tunnel: z.string(), via: z.string(), spawner: z.string() })]),
);

const here = (): string => `${process.pid}@${hostname()}`;
/** The tunnels this process holds, by worker id: each opens a new byte stream to its worker. */
const openers = new Map<string, () => Duplex>();

/** Registers the tunnel to worker `workerId`; the returned function removes it (once the worker has exited). */
export function registerTunnel(
  workerId: string,
  via: string,
  open: () => Duplex,
): { address: TunnelAddress; remove: () => void } {
  openers.set(workerId, open);
  return { address: { tunnel: workerId, via, spawner: here() }, remove: () => openers.delete(workerId) };
}

export function isTunnelAddress(address: WorkerAddress): address is TunnelAddress {
  return 'tunnel' in address;
}

/**
 * A new byte stream to a tunnelled worker. Throws `CONNECT_FAILED` when this process holds no tunnel to it: it is
 * not the worker's spawner (only the spawner can reach a tunnelled worker), or the worker has exited.
 */
export function openTunnel(address: TunnelAddress, workerName: string): Duplex {
  const open = openers.get(address.tunnel);
  if (open !== undefined) return open();
  if (address.spawner === here()) {
    throw new CohortError(
      'CONNECT_FAILED',
      `worker "${workerName}" was reached through a tunnel of ${address.via}, which is closed: the worker has exited`,
      {
        worker: workerName,
      },
    );
  }
  throw new CohortError(
    'CONNECT_FAILED',
    `worker "${workerName}" runs behind a tunnel (transport 'tunnel' of ${address.via}): only its spawner, process ` +
      `${address.spawner}, can reach it, through its launcher; a WorkerRef of a tunnelled worker cannot be dialled from ` +
      `another process (this is ${here()}). Make the call through the spawner, or spawn the worker with a transport this ` +
      "process can reach ('tcp')",
    { worker: workerName },
  );
}
