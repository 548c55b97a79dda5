import { z } from 'zod';
import { lazily } from '../common/options.js';
import { workerAddressSchema, type WorkerAddress } from './tunnels.js';

/**
 * A plain-JSON reference to a running worker: pass it as an argument to another worker, which can then
 * `Type.connect(ref, init)` directly. Connecting needs the app's secret, which every worker of the app has.
 */
export const workerRefSchema = lazily(() =>
  z.object({
    /** The worker type's name. */
    type: z.string(),
    id: z.string(),
    name: z.string(),
    pid: z.number().int(),
    address: workerAddressSchema(),
  }),
);

/** A reference to a running worker of type `N`: plain JSON, valid for any process of the same app. */
export interface WorkerRef<N extends string = string> {
  readonly type: N;
  readonly id: string;
  readonly name: string;
  readonly pid: number;
  /**
   * Where it listens (`{ path }`, `{ host, port }`), or for a worker reached through its launcher
   * (`transport: 'tunnel'`) the tunnel that only its spawner holds (`{ tunnel, via, spawner }`).
   */
  readonly address: WorkerAddress;
}
