import type { Host } from '../host/host.js';
import type { SpawnOptions } from '../parallel/spawn-options.js';

/** Progress of a map-reduce: inputs mapped so far, and the total when the input's size is known. */
export interface MapReduceProgress {
  readonly done: number;
  readonly total?: number;
}

/** Options of every MapReduce operation. */
export interface MapReduceOptions<Param> {
  /** Sent once to each worker, where `init(param, { workerIndex })` turns it into the state of every `map`. */
  param?: Param;
  /** Number of local worker processes. @default os.availableParallelism() */
  workers?: number;
  /**
   * Where workers run, instead of `workers`: `[{ host, workers }]`, e.g. local ones and some on another machine.
   * Worker indices run across the list in order.
   * @example [{ host: Hosts.local(), workers: 2 }, { host: Hosts.ssh({ destination: 'me@big-box' }), workers: 16 }]
   */
  hosts?: readonly { host: Host; workers: number }[];
  /** Called as inputs are mapped (after each batch). */
  onProgress?: (progress: MapReduceProgress) => void;
  /** Writes a Chrome trace-event JSON file at the end: one track per worker, one slice per batch. */
  trace?: string;
  /**
   * Send inputs in adaptive batches with several batches in flight per worker (default). `false` sends one input
   * per call with one call in flight per worker — rpc_parallel's design, useful only for comparison.
   * @default true
   */
  batching?: boolean;
  /** How worker processes are started. */
  spawn?: Pick<SpawnOptions<unknown, unknown>, 'env' | 'execArgv' | 'cwd' | 'stdout' | 'stderr' | 'spawnTimeoutMs' | 'rpc'>;
}
