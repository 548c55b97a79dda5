import {
  Rpc,
  Server,
  ValidationError,
  describeAddress,
  type Address,
  type AnyImplementation,
  type Connection,
  type RpcContext,
  type RpcSettings,
} from '@cohort/rpc/internal';
import { CohortError } from '../common/errors.js';
import type { AnyFunction, FunctionContext, FunctionRunner } from './functions.js';
import * as internal from './internal-rpcs.js';
import { runnerOf, type AnyWorkerType } from './type-registry.js';
import { parseConnectionInit, workerConnectionSettings } from './worker-connection.js';

/** The per-call context: built per call, with the signal looked up only if the function reads it. */
class CallContext implements FunctionContext<unknown, unknown> {
  constructor(
    readonly workerState: unknown,
    readonly connectionState: unknown,
    readonly workerId: string,
    private readonly rpc: RpcContext,
  ) {}

  get signal(): AbortSignal {
    return this.rpc.signal;
  }

  get connection(): Connection {
    return this.rpc.connection;
  }
}

export interface WorkerServerOptions {
  readonly id: string;
  readonly name: string;
  readonly address: Address;
  readonly secret: string;
  readonly rpc: RpcSettings | undefined;
  /** Called when the worker should exit normally (shutdown call, or its shutdown connection closed). */
  readonly onShutdown: () => void;
  /** Called with each connection once its state is initialised. */
  readonly onConnectionReady?: (connection: Connection) => void;
  /** A one-way function threw (its caller awaits nothing). */
  readonly onOneWayError?: (error: unknown, rpc: string) => void;
}

/** The worker's server could not listen: unlike an exception of `initWorkerState`, not the user's code failing. */
export class ListenFailed extends Error {
  override readonly name = 'ListenFailed';
}

/** Serving one worker: its state, its connections' states, its functions and Cohort's internal RPCs. */
export class WorkerServer {
  private readonly connectionStates = new WeakMap<Connection, unknown>();

  private constructor(
    readonly type: AnyWorkerType,
    readonly workerState: unknown,
    private readonly options: WorkerServerOptions,
    private server: Server | undefined,
  ) {}

  /** Validates `init`, runs `initWorkerState`, and listens. Throws what `initWorkerState` threw. */
  static async start(type: AnyWorkerType, init: unknown, options: WorkerServerOptions): Promise<WorkerServer> {
    const parsed = type.workerInit.safeParse(init);
    if (!parsed.success) {
      throw new ValidationError({
        side: 'input',
        subject: `worker type ${type.name}`,
        issues: parsed.error.issues,
        what: 'workerInit',
      });
    }
    const workerState = await type.initWorkerState(parsed.data, { workerId: options.id });
    const worker = new WorkerServer(type, workerState, options, undefined);
    try {
      worker.server = await Server.listen({
        address: options.address,
        secret: options.secret,
        // A function may legitimately block the worker's event loop for longer than any heartbeat timeout.
        settings: workerConnectionSettings(options.rpc),
        description: `worker "${options.name}" (pid ${process.pid})`,
        implementations: worker.implementations(),
        ...(options.onOneWayError === undefined ? {} : { onOneWayError: options.onOneWayError }),
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ListenFailed(`the worker cannot listen on ${describeAddress(options.address)}: ${detail}`, {
        cause: error,
      });
    }
    return worker;
  }

  get address(): Address {
    return this.server!.address;
  }

  async close(reason: string): Promise<void> {
    await this.server?.close(reason);
  }

  private implementations(): AnyImplementation[] {
    const impls: AnyImplementation[] = Object.values(this.type.functions).map((fn) => this.implement(fn));
    impls.push(
      Rpc.implement(internal.initConnection, (init, ctx) => this.initConnection(init, ctx.connection)),
      Rpc.implement(internal.shutdown, () => {
        // Answer first, then exit: the caller waits for the process to end anyway.
        setImmediate(() => this.options.onShutdown());
      }),
      Rpc.implement(internal.usage, () => ({ rssBytes: process.memoryUsage.rss() })),
      Rpc.implement(internal.shutdownOnDisconnect, (_input, ctx) => {
        void ctx.connection.closed.then(() => this.options.onShutdown());
      }),
    );
    return impls;
  }

  private async initConnection(init: unknown, connection: Connection): Promise<void> {
    const parsed = parseConnectionInit(this.type.connectionInit, this.type.name, init);
    const state = await this.type.initConnectionState(parsed, {
      workerState: this.workerState,
      workerId: this.options.id,
    });
    this.connectionStates.set(connection, state);
    this.options.onConnectionReady?.(connection);
  }

  private stateOf(connection: Connection, fn: AnyFunction): unknown {
    if (!this.connectionStates.has(connection)) {
      throw new CohortError(
        'CONNECT_FAILED',
        `${fn.workerType}.${fn.name} called on a connection that was not initialised`,
      );
    }
    return this.connectionStates.get(connection);
  }

  private implement(fn: AnyFunction): AnyImplementation {
    const run = runnerOf(fn) as (...args: unknown[]) => unknown;
    const id = this.options.id;
    const context = (rpc: RpcContext): CallContext =>
      new CallContext(this.workerState, this.stateOf(rpc.connection, fn), id, rpc);
    const handler: FunctionRunner =
      fn.kind === 'reversePipe'
        ? (((input: unknown, items: unknown, rpc: RpcContext) => run(input, items, context(rpc))) as FunctionRunner)
        : (((input: unknown, rpc: RpcContext) => run(input, context(rpc))) as FunctionRunner);
    return { def: fn.def, handler };
  }
}
