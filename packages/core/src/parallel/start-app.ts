import { resolveRpcSettings, type RpcSettings } from '@cohort/rpc';
import { currentApp, newRootApp, setApp } from '../app/app.js';
import { WORKER_MARKER } from './bootstrap.js';
import { runWorker } from './worker-main.js';

export interface StartAppOptions {
  /** RPC settings for every worker connection of the app (COHORT_RPC_SETTINGS still overrides them). */
  rpc?: RpcSettings;
}

/**
 * Starts the application. Call it once, at the top level of your entry script, after your worker types are
 * defined and before any spawn. In a spawned worker (your same script, re-run) it serves the requested worker
 * type and never resolves, so the code after it only runs in the master.
 *
 * @example
 * export const Counter = Parallel.make({ … });
 * await startApp();
 * const worker = await Counter.spawn();
 */
export function startApp(options: StartAppOptions = {}): Promise<void> {
  resolveRpcSettings(options.rpc);
  if (process.env[WORKER_MARKER] === '1') return runWorker(options.rpc);
  if (currentApp() === undefined) setApp(newRootApp(options.rpc));
  return Promise.resolve();
}
