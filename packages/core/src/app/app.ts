import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { RpcSettings } from '@cohort/rpc';
import { CohortError } from '../errors.js';
import type { SparePool } from '../parallel/spares.js';
import { createSocketDir } from './socket-dir.js';

/** The process-wide state `startApp` sets up: what spawning and serving need. */
export interface App {
  /** Shared by every process of the app tree; authenticates every connection. Never on argv or in the env. */
  readonly secret: string;
  readonly rpc: RpcSettings | undefined;
  /** The entry script workers re-run. */
  readonly entry: string;
  /** Whether this process is itself a worker (then `socketDir` is its spawner's). */
  readonly isWorker: boolean;
  /** The app's root process (the program the user started), which owns the socket directory. */
  readonly rootPid: number;
  /** Sockets of workers that outlive this process ('shutdown-called'): its exit leaves them in place. */
  readonly keptSockets: Set<string>;
  socketDir(): string;
  /** Ids unique across the app tree: the pid makes them unique per process, the counter within it. */
  nextWorkerId(): string;
  socketPath(workerId: string): string;
  /** Pre-launched workers (`startApp({ spareWorkers })`), root app only. */
  spares: SparePool | undefined;
}

let current: App | undefined;

export function makeApp(init: { secret: string; rpc: RpcSettings | undefined; entry: string; socketDir?: string; rootPid?: number }): App {
  let dir = init.socketDir;
  let counter = 0;
  const app: App = {
    secret: init.secret,
    rpc: init.rpc,
    entry: init.entry,
    isWorker: init.socketDir !== undefined,
    rootPid: init.rootPid ?? process.pid,
    keptSockets: new Set(),
    socketDir: () => (dir ??= createSocketDir(() => app.keptSockets)),
    nextWorkerId: () => `${process.pid.toString(36)}-${(++counter).toString(36)}`,
    socketPath: (workerId) => join(app.socketDir(), `${workerId}.sock`),
    spares: undefined,
  };
  return app;
}

export function setApp(app: App): void {
  current = app;
}

export function newRootApp(rpc: RpcSettings | undefined): App {
  const entry = process.argv[1];
  if (entry === undefined) {
    throw new CohortError('APP_NOT_STARTED', 'startApp() needs an entry script to re-run in workers (process.argv[1] is empty)');
  }
  return makeApp({ secret: randomBytes(32).toString('hex'), rpc, entry });
}

/** The started app, or the error that says to call `startApp()` first. */
export function requireApp(what: string): App {
  if (current === undefined) {
    throw new CohortError(
      'APP_NOT_STARTED',
      `${what} needs the app to be started: call \`await startApp()\` at the top level of your entry script, ` +
        'after defining your worker types and before spawning',
    );
  }
  return current;
}

export function currentApp(): App | undefined {
  return current;
}
