import type { z } from 'zod';
import {
  Connection,
  RpcError,
  ValidationError,
  type AnyImplementation,
  type CloseReason,
  type DispatchOptions,
  type RpcSettings,
  type RpcStream,
  type Source,
  dispatchFrom,
  forTheCaller,
  placedCall,
  watchStream,
  type CallSite,
} from '@cohort/rpc/internal';
import { CohortError } from '../common/errors.js';
import { statusWithin } from '../process/exit-grace.js';
import { showProcessStatus, type ExitStatus } from '../process/exit-status.js';
import type {
  AnyFunction,
  OneWayFunction,
  PipeFunction,
  ReversePipeFunction,
  RpcFunction,
  StateFunction,
} from './functions.js';
import * as internal from './internal-rpcs.js';
import { isTunnelAddress, openTunnel, type WorkerAddress } from './tunnels.js';

/** Options of one `run`: cancellation and a deadline, as for `Connection.dispatch`. */
export type RunOptions = DispatchOptions;

/** Typed calls to the functions of worker type `N`, with options `O`. Shared by `Worker`, `WorkerConnection` and `Pool`. */
export interface Runner<N extends string, Options = RunOptions> {
  run<I extends z.ZodType, O extends z.ZodType>(
    fn: RpcFunction<N, I, O>,
    input: z.input<I>,
    options?: Options,
  ): Promise<z.output<O>>;
  run<I extends z.ZodType, T extends z.ZodType>(
    fn: PipeFunction<N, I, T>,
    input: z.input<I>,
    options?: Options,
  ): Promise<RpcStream<z.output<T>>>;
  run<I extends z.ZodType, S extends z.ZodType, U extends z.ZodType>(
    fn: StateFunction<N, I, S, U>,
    input: z.input<I>,
    options?: Options,
  ): Promise<{ state: z.output<S>; updates: RpcStream<z.output<U>> }>;
  run<I extends z.ZodType>(fn: OneWayFunction<N, I>, input: z.input<I>, options?: Options): Promise<void>;
  run<I extends z.ZodType, T extends z.ZodType, O extends z.ZodType>(
    fn: ReversePipeFunction<N, I, T, O>,
    arg: [z.input<I>, Source<z.input<T>>],
    options?: Options,
  ): Promise<z.output<O>>;
}

/** Who is on the other end, for error messages; `exited` when this process spawned it. */
export interface PeerInfo {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ExitStatus> | undefined;
  /** Why the worker may have ended beyond its exit status (its Slurm job was cancelled…), when its launcher knows. */
  readonly reason?: (() => string | undefined) | undefined;
}

/** How long a broken connection waits for its worker's exit status, to say how the worker ended. */
const EXIT_WAIT_MS = 2000;

/** Worker connections never use RPC heartbeats: liveness is the socket and the lifeline (see the README). */
export function workerConnectionSettings(rpc: RpcSettings | undefined): RpcSettings {
  return { ...rpc, heartbeat: false };
}

/**
 * Rewrites "connection closed" into "the worker exited with code 3" when the worker's exit is known; the new error
 * is placed at the caller's call (`site`, or lazily) as the one it replaces was.
 */
export async function explainClosed(
  error: unknown,
  fn: AnyFunction | undefined,
  peer: PeerInfo,
  site?: CallSite,
): Promise<never> {
  if (!(error instanceof RpcError) || error.code !== 'CONNECTION_CLOSED' || peer.exited === undefined) throw error;
  const status = await statusWithin(peer.exited, EXIT_WAIT_MS);
  if (status === undefined) throw error;
  const what = fn === undefined ? 'setting up the connection' : `${fn.workerType}.${fn.name}`;
  const why = peer.reason?.();
  const explained = new RpcError(
    'CONNECTION_CLOSED',
    `${what} failed: worker "${peer.name}" (pid ${peer.pid}) ${showProcessStatus(status)} before answering${why === undefined ? '' : ` (${why})`}`,
    { ...(fn === undefined ? {} : { rpc: fn.def.name }), cause: error },
  );
  throw forTheCaller(explained, site);
}

function explainStream<T>(stream: RpcStream<T>, explain: (error: unknown) => Promise<never>): RpcStream<T> {
  return watchStream(stream, { read: (step) => step.catch(explain) });
}

/**
 * Dispatches a worker function, checking it belongs to the worker's type and explaining a dead worker. `site` is the
 * caller's call captured for a stream (or by a map-reduce), which a failure points at; `undefined` for a call whose
 * errors the caller's `traced` promise places, or for Cohort's own calls (see `@cohort/rpc`'s call-site.ts).
 */
export function runFunction(
  connection: Connection,
  workerType: string,
  peer: PeerInfo,
  fn: AnyFunction,
  arg: unknown,
  options: RunOptions | undefined,
  site: CallSite | undefined,
): Promise<unknown> {
  if (fn.workerType !== workerType) {
    return Promise.reject(
      new CohortError(
        'WRONG_WORKER_TYPE',
        `${fn.workerType}.${fn.name} cannot run on worker "${peer.name}" of type ${workerType}`,
        {
          worker: peer.name,
        },
      ),
    );
  }
  const explain = (error: unknown): Promise<never> => explainClosed(error, fn, peer, site);
  const result = connection[dispatchFrom](site, fn.def, arg, options);
  if (fn.kind === 'pipe') return result.then((stream) => explainStream(stream as RpcStream<unknown>, explain), explain);
  if (fn.kind === 'state') {
    return result.then((value) => {
      const { state, updates } = value as { state: unknown; updates: RpcStream<unknown> };
      return { state, updates: explainStream(updates, explain) };
    }, explain);
  }
  return result.catch(explain);
}

/** A connection to a worker, with its own connection state on the worker side. */
export class WorkerConnection<N extends string> {
  /** @hidden Connections come from `spawn`, `connect` and `Type.connect`. */
  constructor(
    /** The underlying `@cohort/rpc` connection. */
    readonly connection: Connection,
    readonly workerType: N,
    private readonly peer: PeerInfo,
    private readonly afterClose?: () => Promise<unknown>,
  ) {}

  /** Resolves when the connection has closed, with who closed it and why. */
  get closed(): Promise<CloseReason> {
    // Awaiting the close is work in progress: an idle connection no longer lets the script end under the awaiter.
    this.connection.holdUntilClosed();
    return this.connection.closed;
  }

  /** Runs `fn` on the worker over this connection; see {@link Runner}. */
  readonly run: Runner<N>['run'] = ((fn: AnyFunction<N>, arg: unknown, options?: RunOptions) =>
    placedCall(fn.kind, this.run, (site) =>
      runFunction(this.connection, this.workerType, this.peer, fn, arg, options, site),
    )) as Runner<N>['run'];

  /** Closes this connection (for a `'connection-closed'` worker, that ends the worker: this resolves once it has exited). */
  async close(reason = 'closed by the client'): Promise<void> {
    await this.connection.close(reason);
    await this.afterClose?.();
  }

  /** `await using conn = await worker.connect()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close('disposed');
  }
}

export interface OpenConnectionOptions {
  readonly address: WorkerAddress;
  readonly secret: string;
  readonly rpc: RpcSettings | undefined;
  readonly workerType: string;
  readonly connectionInitSchema: z.ZodType;
  readonly peer: PeerInfo;
  readonly afterClose?: () => Promise<unknown>;
  /** RPCs this side serves to the worker over the connection (Cohort's scheduler receives task messages this way). */
  readonly implementations?: readonly AnyImplementation[];
}

/** A connection to the worker with no connection state: enough for Cohort's own requests (shutdown). */
export async function bareConnection(options: OpenConnectionOptions): Promise<Connection> {
  const connectionOptions = {
    secret: options.secret,
    settings: workerConnectionSettings(options.rpc),
    // An idle worker must not keep its spawner's program from ending; a call or a stream in flight does.
    holdProcess: 'while-busy' as const,
    description: `process ${process.pid}`,
    ...(options.implementations === undefined ? {} : { implementations: options.implementations }),
  };
  const { address } = options;
  // A tunnelled worker: the same authenticated handshake, over a stream its launcher carries.
  if (isTunnelAddress(address))
    return Connection.open(openTunnel(address, options.peer.name), 'client', connectionOptions);
  return Connection.connect({ address, ...connectionOptions });
}

/** A connection argument checked against the worker type's schema (by the caller, and again by the worker). */
export function parseConnectionInit(schema: z.ZodType, workerType: string, init: unknown): unknown {
  const checked = schema.safeParse(init);
  if (!checked.success) {
    throw new ValidationError({
      side: 'input',
      subject: `worker type ${workerType}`,
      issues: checked.error.issues,
      what: 'connectionInit',
    });
  }
  return checked.data;
}

/** Connects to a worker and initialises the connection's state there. */
export async function openWorkerConnection<N extends string>(
  options: OpenConnectionOptions,
  init: unknown,
): Promise<WorkerConnection<N>> {
  const { peer } = options;
  parseConnectionInit(options.connectionInitSchema, options.workerType, init);
  const connection = await bareConnection(options);
  try {
    await connection.dispatch(internal.initConnection, init);
  } catch (failure) {
    await connection.close('connection setup failed');
    if (failure instanceof ValidationError) throw failure;
    // A worker that died while setting up the connection: say how it ended, as for any call on a dead worker.
    const error = await explainClosed(failure, undefined, peer).catch((explained: unknown) => explained);
    const detail = error instanceof Error ? error.message : String(error);
    throw new CohortError('CONNECT_FAILED', `connecting to worker "${peer.name}" (pid ${peer.pid}) failed: ${detail}`, {
      worker: peer.name,
      cause: error,
    });
  }
  return new WorkerConnection<N>(connection, options.workerType as N, peer, options.afterClose);
}
