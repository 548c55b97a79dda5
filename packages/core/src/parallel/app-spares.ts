import type { App } from '../app/app.js';
import { localHost } from '../host/local.js';
import { launchRequest } from './launch.js';
import { SparePool } from './spares.js';

/**
 * The spare workers of `startApp({ spareWorkers })`, launched with the default process options. A module of its own,
 * loaded only by a master that asks for spares: launching is no part of a worker's start.
 */
export function startSpares(app: App, count: number): SparePool {
  return new SparePool(count, () => localHost().launch(launchRequest(app, 'spare')));
}
