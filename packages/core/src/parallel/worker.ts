import { RpcError, dispatchFrom, placedCall, type CallSite } from '@cohort/rpc/internal';
import { DEFAULTS } from '../common/defaults.js';
import { exitWithin } from '../process/exit-grace.js';
import { showProcessStatus, type ExitStatus } from '../process/exit-status.js';
import type { AnyFunction } from './functions.js';
import { shutdown as shutdownRpc, usage as usageRpc } from './internal-rpcs.js';
import type { WorkerRef } from './ref.js';
import {
  bareConnection,
  openWorkerConnection,
  runFunction,
  type OpenConnectionOptions,
  type RunOptions,
  type Runner,
  type WorkerConnection,
} from './worker-connection.js';

/** What the spawner knows about a worker it started (or serves in-process). */
export interface WorkerInternals {
  readonly id: string;
  /** How to reach the worker: every connection the handle opens uses these. */
  readonly connect: OpenConnectionOptions;
  /** The connection `worker.run` uses, opened by spawn when its `connectionInit` allows. */
  defaultConnection: WorkerConnection<string> | undefined;
  readonly connectionInit: unknown;
  kill(signal: NodeJS.Signals): void;
  /** Keeps this program alive until the worker has exited. */
  hold?: (() => void) | undefined;
}

const exits = new WeakMap<Worker<string>, Promise<ExitStatus>>();
const reachable = new WeakMap<Worker<string>, () => boolean>();
const usageQueries = new WeakMap<Worker<string>, () => Promise<{ rssBytes: number }>>();
type SiteRunner = (site: CallSite | undefined, fn: AnyFunction, arg: unknown, options?: RunOptions) => Promise<unknown>;
const siteRunners = new WeakMap<Worker<string>, SiteRunner>();

/**
 * `worker.run` for Cohort's own layers, which place their calls themselves: a map-reduce passes its caller's site
 * (captured once), a pool the site of a stream's `run` or `undefined` (its own `traced` promise finds its caller),
 * the scheduler `undefined` (a task's failure is an outcome, not an error its caller sees).
 */
export function runOn(
  worker: Worker<string>,
  site: CallSite | undefined,
  fn: AnyFunction,
  arg: unknown,
  options?: RunOptions,
): Promise<unknown> {
  return siteRunners.get(worker)!(site, fn, arg, options);
}

/** A worker's exit, for Cohort's own bookkeeping: unlike `worker.exited`, watching it keeps nothing alive. */
export function exitOf(worker: Worker<string>): Promise<ExitStatus> {
  return exits.get(worker)!;
}

/**
 * Whether a call sent now would reach the worker: its process has not exited and its default connection (if it has
 * one yet) is open. A worker that dies closes that connection first; its exit status comes later, once its output is
 * read, and a call sent in between would only fail.
 */
export function reachability(worker: Worker<string>): () => boolean {
  return reachable.get(worker)!;
}

/** Asks the worker's process for its resident set size (over its default connection). */
export function usageOf(worker: Worker<string>): Promise<{ rssBytes: number }> {
  return usageQueries.get(worker)!();
}

/** A handle on a running worker. */
export class Worker<N extends string, ConnectionInit = unknown> {
  private readonly internals: WorkerInternals;
  private opening: Promise<WorkerConnection<string>> | undefined;
  readonly #exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  /** @hidden Workers come from `spawn` and `serve`. */
  constructor(internals: WorkerInternals, exited: Promise<ExitStatus>) {
    this.internals = internals;
    this.#exited = exited;
    exits.set(this as Worker<string>, exited);
    // Cohort's own query (a pool's, alongside calls): no call site to capture.
    usageQueries.set(
      this as Worker<string>,
      async () =>
        (await this.defaultConnection()).connection[dispatchFrom](undefined, usageRpc, undefined) as Promise<{
          rssBytes: number;
        }>,
    );
    siteRunners.set(this as Worker<string>, (site, fn, arg, options) => this.runFrom(site, fn, arg, options));
    reachable.set(
      this as Worker<string>,
      () => this.exitStatus === undefined && this.internals.defaultConnection?.connection.isClosed !== true,
    );
    void exited.then((status) => {
      this.exitStatus = status;
      void this.internals.defaultConnection?.connection.close('the worker exited');
    });
  }

  /**
   * Resolves once, when the worker's process has ended (and what it wrote before has been read). Waiting for it
   * keeps this program alive until then; an idle worker alone does not.
   */
  get exited(): Promise<ExitStatus> {
    if (this.exitStatus === undefined) this.internals.hold?.();
    return this.#exited;
  }

  /** Unique across the app (all processes). */
  get id(): string {
    return this.internals.id;
  }

  get name(): string {
    return this.internals.connect.peer.name;
  }

  get pid(): number {
    return this.internals.connect.peer.pid;
  }

  /** A plain-JSON reference another worker can connect to (`Type.connect(ref, init)`). */
  get ref(): WorkerRef<N> {
    const { workerType, address } = this.internals.connect;
    return { type: workerType as N, id: this.id, name: this.name, pid: this.pid, address };
  }

  /**
   * Runs `fn` over the handle's default connection (opened by spawn with its `connectionInit`).
   * @example await worker.run(Counter.functions.add, 5)
   */
  readonly run: Runner<N>['run'] = ((fn: AnyFunction<N>, arg: unknown, options?: RunOptions) =>
    placedCall(fn.kind, this.run, (site) => this.runFrom(site, fn, arg, options))) as Runner<N>['run'];

  /** Opens a new connection, with its own connection state (`initConnectionState(connectionInit)`). */
  connect(
    ...init: undefined extends ConnectionInit ? [connectionInit?: ConnectionInit] : [connectionInit: ConnectionInit]
  ): Promise<WorkerConnection<N>> {
    // Say how the worker ended rather than fail on a socket that is gone.
    if (this.exitStatus !== undefined) return Promise.reject(this.exitedError(this.exitStatus));
    return this.open(init[0]) as Promise<WorkerConnection<N>>;
  }

  /** Asks the worker to exit and resolves with its exit status once it has (SIGKILL after 10 s, even if it never answers). */
  async shutdown(): Promise<ExitStatus> {
    const settled = await Promise.race([
      this.exited.then(() => 'exited' as const),
      Promise.resolve('running' as const),
    ]);
    if (settled === 'running') {
      const exited = exitWithin(this.exited, (signal) => this.kill(signal), DEFAULTS.shutdownGraceMs);
      // Not awaited alone: a worker stuck in a synchronous loop never answers, and only the kill ends it.
      await Promise.race([this.requestShutdown().catch(() => undefined), exited]);
      await exited;
    }
    await this.internals.defaultConnection?.connection.close('the worker was shut down');
    return this.exited;
  }

  /**
   * Asks the worker to exit over the default connection, or over a bare connection when there is none (the
   * shutdown request needs no connection state, so no `connectionInit` either).
   */
  private async requestShutdown(): Promise<void> {
    const ready = this.internals.defaultConnection;
    if (ready !== undefined && !ready.connection.isClosed) {
      await ready.connection.dispatch(shutdownRpc, undefined);
      return;
    }
    const connection = await bareConnection(this.internals.connect);
    try {
      await connection.dispatch(shutdownRpc, undefined);
    } finally {
      await connection.close('shutdown requested');
    }
  }

  /** `await using worker = await Type.spawn()` shuts the worker down at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  private runFrom(
    site: CallSite | undefined,
    fn: AnyFunction,
    arg: unknown,
    options: RunOptions | undefined,
  ): Promise<unknown> {
    const ready = this.internals.defaultConnection;
    // The common case goes straight to the socket: no extra promise hop per call.
    const { workerType, peer } = this.internals.connect;
    if (ready !== undefined && !ready.connection.isClosed)
      return runFunction(ready.connection, workerType, peer, fn, arg, options, site);
    return this.defaultConnection().then((c) => runFunction(c.connection, workerType, peer, fn, arg, options, site));
  }

  /** Sends `signal` to the worker's process. @default 'SIGKILL' */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.internals.kill(signal);
  }

  private defaultConnection(): Promise<WorkerConnection<string>> {
    if (this.exitStatus !== undefined) return Promise.reject(this.exitedError(this.exitStatus));
    const existing = this.internals.defaultConnection;
    if (existing !== undefined && !existing.connection.isClosed) return Promise.resolve(existing);
    this.opening ??= this.open(this.internals.connectionInit).then(
      (connection) => {
        this.internals.defaultConnection = connection;
        this.opening = undefined;
        return connection;
      },
      (error: unknown) => {
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  private exitedError(status: ExitStatus): RpcError {
    const why = this.internals.connect.peer.reason?.();
    return new RpcError(
      'CONNECTION_CLOSED',
      `worker "${this.name}" (pid ${this.pid}) ${showProcessStatus(status)}${why === undefined ? '' : ` (${why})`}; spawn a new one`,
    );
  }

  private open(init: unknown): Promise<WorkerConnection<string>> {
    return openWorkerConnection(this.internals.connect, init);
  }
}
