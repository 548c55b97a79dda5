import type { RpcSettings } from '@cohort/rpc/internal';
import { crypto } from '../common/builtins.js';
import { CohortError } from '../common/errors.js';
import type { LaunchedProcess } from '../host/host.js';
import { inheritedSocketSpace, rootSocketSpace, type SocketSpace } from './socket-space.js';

/** Worker processes launched ahead of time, as the app sees them: something to take one from. */
export interface SpareSource {
  /** A ready spare, if any (it then belongs to the caller). */
  take(): LaunchedProcess | undefined;
}

/** The process-wide state `startApp` sets up: what spawning and serving need. */
export interface App {
  /** Shared by every process of the app tree; authenticates every connection. Never on argv or in the env. */
  readonly secret: string;
  readonly rpc: RpcSettings | undefined;
  /** The entry script workers re-run. */
  readonly entry: string;
  /** The app's root process (the program the user started), which owns the socket directory. */
  readonly rootPid: number;
  /** Sockets of workers that outlive this process ('shutdown-called'): its exit leaves them in place. */
  readonly keptSockets: Set<string>;
  /** Where the app's workers listen. */
  readonly sockets: SocketSpace;
  /** Ids unique across the app tree: the pid makes them unique per process, the counter within it. */
  nextWorkerId(): string;
  /** The id `nextWorkerId()` will return next, without taking it (tests place obstacles there). */
  upcomingWorkerId(): string;
  socketPath(workerId: string): string;
  /** Pre-launched workers (`startApp({ spareWorkers })`), root app only. */
  readonly spares: SpareSource | undefined;
}

export interface AppInit {
  readonly secret: string;
  readonly rpc: RpcSettings | undefined;
  readonly entry: string;
  /** The spawner's socket space (a worker); absent for the root, which makes its own. */
  readonly socketSpace?: string;
  readonly rootPid?: number;
  readonly spares?: SpareSource;
}

let current: App | undefined;

function makeApp(init: AppInit): App {
  let counter = 0;
  const keptSockets = new Set<string>();
  const sockets =
    init.socketSpace === undefined ? rootSocketSpace(() => keptSockets) : inheritedSocketSpace(init.socketSpace);
  return {
    secret: init.secret,
    rpc: init.rpc,
    entry: init.entry,
    rootPid: init.rootPid ?? process.pid,
    keptSockets,
    sockets,
    nextWorkerId: () => `${process.pid.toString(36)}-${(++counter).toString(36)}`,
    upcomingWorkerId: () => `${process.pid.toString(36)}-${(counter + 1).toString(36)}`,
    socketPath: (workerId) => sockets.path(workerId),
    spares: init.spares,
  };
}

/** Sets up this process's app, once: a second set is a bug (two `startApp` paths racing), so it throws. */
export function setApp(init: AppInit): App {
  if (current !== undefined) throw new Error('Cohort: the app was set up twice in one process');
  current = makeApp(init);
  return current;
}

/** A new secret for a root app: 256 random bits. */
export function newSecret(): string {
  return crypto().randomBytes(32).toString('hex');
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
