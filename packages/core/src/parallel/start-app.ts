import { resolveRpcSettings, type RpcSettings } from '@cohort/rpc';
import { currentApp, newRootApp, setApp } from '../app/app.js';
import { WORKER_MARKER } from './bootstrap.js';
import { localHost } from '../host/local.js';
import { SparePool } from './spares.js';
import { launchRequest } from './spawn.js';
import { runWorker } from './worker-main.js';

export interface StartAppOptions {
  /** RPC settings for every worker connection of the app (COHORT_RPC_SETTINGS still overrides them). */
  rpc?: RpcSettings;
  /**
   * Worker processes to keep launched ahead of time, each having run your entry script up to `startApp()`. A
   * `spawn` with default process options (no `cwd`, `env`, `execArgv`, `host`, file or ignored output) takes one
   * and skips Node's start-up and your imports; a replacement starts in the background. Spares never keep the
   * program alive. Costs one idle process (tens of MiB) each; ignored in workers.
   * @default 0
   * @example await startApp({ spareWorkers: 1 })
   */
  spareWorkers?: number;
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
export async function startApp(options: StartAppOptions = {}): Promise<void> {
  // Async so that invalid settings reject, like every other failure of a Promise-returning function.
  resolveRpcSettings(options.rpc);
  if (process.env[WORKER_MARKER] === '1') return runWorker(options.rpc);
  if (currentApp() === undefined) {
    const app = newRootApp(options.rpc);
    setApp(app);
    const spares = options.spareWorkers ?? 0;
    if (spares > 0) app.spares = new SparePool(spares, () => localHost().launch(launchRequest(app, 'spare')));
  }
}
