import type { RpcSettings } from '@cohort/rpc/internal';
import { z } from 'zod';
import { currentApp, newSecret, setApp } from '../app/app.js';
import { DEFAULTS } from '../common/defaults.js';
import { CohortError } from '../common/errors.js';
import { checkOptions, lazily } from '../common/options.js';
import { launchDir, WORKER_MARKER } from '../process/worker-launch.js';
import type { SparePool } from './spares.js';
import { checkRpcSettings, rpcSettingsOption } from './spawn-options.js';
import { runWorker } from './worker-main.js';
import { loadPart } from '../common/lazy-parts.js';

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
  // Async so that invalid options reject, like every other failure of a Promise-returning function.
  // `startApp()` without options, as most programs call it, has nothing to check: every worker would otherwise
  // build the schema only to accept `{}`.
  const given = typeof options === 'object' && options !== null && Object.keys(options).length > 0;
  const checked: StartAppOptions = given ? checkOptions(startAppOptionsSchema(), options, 'startApp()') : {};
  checkRpcSettings(checked.rpc, 'startApp(): option rpc');
  if (process.env[WORKER_MARKER] === '1') return runWorker(checked.rpc);
  if (currentApp() !== undefined) return;
  const entry = process.argv[1];
  if (entry === undefined) {
    throw new CohortError(
      'APP_NOT_STARTED',
      'startApp() needs an entry script to re-run in workers (process.argv[1] is empty)',
    );
  }
  // Workers start where the app started, whatever directory the program moves to later.
  launchDir();
  const spareCount = checked.spareWorkers ?? DEFAULTS.spareWorkers;
  let spares: SparePool | undefined;
  const app = setApp({
    secret: newSecret(),
    rpc: checked.rpc,
    entry,
    spares: {
      take: () => spares?.take(),
    },
  });
  if (spareCount > 0)
    spares = ((await loadPart('appSpares')) as typeof import('./app-spares.js')).startSpares(app, spareCount);
}

const startAppOptionsSchema = lazily(() =>
  z.strictObject({
    rpc: rpcSettingsOption().optional(),
    spareWorkers: z.number().int().nonnegative().optional(),
  }),
);
