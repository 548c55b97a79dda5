import { connectAndShutdownOnDisconnect } from './connect.js';
import { workerRefSchema } from './ref.js';
import { make } from './worker-type.js';

/**
 * Typed worker processes, after Jane Street's rpc_parallel.
 *
 * @example
 * export const Counter = Parallel.make({ name: 'counter', functions: (f) => ({ … }) });
 */
export const Parallel = Object.freeze({
  make,
  /** The zod schema of a `WorkerRef`, to declare a function input that carries one. */
  workerRef: workerRefSchema,
  connectAndShutdownOnDisconnect,
});
