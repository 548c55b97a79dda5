import { type MaybePromise, Rpc, captureCallSite, withCallSite } from '@cohort/rpc/internal';
import { z } from 'zod';
import { CohortError } from '../common/errors.js';
import { lazily } from '../common/options.js';
import { connectToRef } from './connect.js';
import type { AnyFunction, FunctionBuilder, PendingFunction } from './functions.js';
import type { WorkerRef } from './ref.js';
import { serveInProcess, type ServeOptions } from './serve.js';
import { spawnWorker } from './spawn.js';
import type { ConnectionClosedOptions, SpawnOptions } from './spawn-options.js';
import { setRunner, workerTypes, type AnyWorkerType } from './type-registry.js';
import type { Worker } from './worker.js';
import type { WorkerConnection } from './worker-connection.js';

/** The declaration `Parallel.make` takes. */
export interface WorkerTypeSpec<
  N extends string,
  WI extends z.ZodType,
  CI extends z.ZodType,
  WS,
  CS,
  F extends Record<string, AnyFunction<N>>,
> {
  /** Unique per program: spawned workers find their type by this name. Must not start with `__`. */
  name: N;
  /** Schema of the spawn argument (`spawn({ init })`). @default z.void() */
  workerInit?: WI;
  /** Schema of the per-connection argument (`worker.connect(init)`). @default z.void() */
  connectionInit?: CI;
  /** Runs once per worker, in the worker, before it reports ready; its result is every call's `workerState`. */
  initWorkerState?: (init: z.output<WI>, info: { workerId: string }) => MaybePromise<WS>;
  /** Runs once per connection, in the worker; its result is the `connectionState` of calls on that connection. */
  initConnectionState?: (init: z.output<CI>, info: { workerState: WS; workerId: string }) => MaybePromise<CS>;
  /** The worker's functions, built with `f.rpc`, `f.pipe`, `f.state`, `f.oneWay`, `f.reversePipe`. */
  functions: (f: FunctionBuilder<N, WS, CS>) => F;
}

/** Spawn options whose `init` is optional exactly when the worker type's `workerInit` accepts `undefined`. */
export type SpawnArgs<WI extends z.ZodType, CI extends z.ZodType, Extra> =
  undefined extends z.input<WI>
    ? [options?: SpawnOptions<z.input<WI>, z.input<CI>> & Extra]
    : [options: SpawnOptions<z.input<WI>, z.input<CI>> & { init: z.input<WI> } & Extra];

/** A worker type as this layer makes it: its functions, and the ways to start or reach one worker. */
export interface BaseWorkerType<
  N extends string,
  WI extends z.ZodType,
  CI extends z.ZodType,
  F extends Record<string, AnyFunction<N>>,
> {
  readonly name: N;
  readonly functions: F;
  readonly workerInit: WI;
  readonly connectionInit: CI;
  /**
   * Starts a worker process running this type. With `shutdownOn: 'connection-closed'` it resolves to the
   * connection whose closing ends the worker; otherwise to a `Worker` handle.
   */
  // The `Worker` overload comes first: `spawn()` without options must match it, not the connection one (whose
  // options are optional too when the type needs no init).
  spawn(
    ...args: SpawnArgs<WI, CI, { shutdownOn?: 'heartbeat-lost' | 'shutdown-called' }>
  ): Promise<Worker<N, z.input<CI>>>;
  spawn(...args: SpawnArgs<WI, CI, ConnectionClosedOptions>): Promise<WorkerConnection<N>>;
  /**
   * Serves this type inside the current process (no child); `shutdown()` stops serving. `connectionInit` is the
   * argument of the handle's default connection (the one `worker.run` uses), as for `spawn`.
   */
  serve(
    ...args: undefined extends z.input<WI>
      ? [init?: z.input<WI>, options?: ServeOptions<z.input<CI>>]
      : [init: z.input<WI>, options?: ServeOptions<z.input<CI>>]
  ): Promise<Worker<N, z.input<CI>>>;
  /** Connects to a running worker of this type from a `WorkerRef`. */
  connect(
    ref: WorkerRef,
    ...init: undefined extends z.input<CI> ? [connectionInit?: z.input<CI>] : [connectionInit: z.input<CI>]
  ): Promise<WorkerConnection<N>>;
}

function builder(): FunctionBuilder<string, unknown, unknown> {
  const pending =
    (kind: PendingFunction['kind']) =>
    (spec: PendingFunction['spec']): PendingFunction => ({ kind, spec });
  return {
    rpc: pending('rpc'),
    pipe: pending('pipe'),
    state: pending('state'),
    oneWay: pending('oneWay'),
    reversePipe: pending('reversePipe'),
  } as unknown as FunctionBuilder<string, unknown, unknown>;
}

function finalize(typeName: string, key: string, pending: PendingFunction): AnyFunction {
  const { run, ...schemas } = pending.spec;
  if (typeof run !== 'function')
    throw new CohortError('INVALID_ARGUMENT', `${typeName}.${key}: \`run\` must be a function`);
  const name = `${typeName}/${key}`;
  const describe = Rpc[pending.kind] as (spec: Record<string, unknown>) => AnyFunction['def'];
  const def = describe({ ...schemas, name });
  const fn = Object.freeze({ kind: pending.kind, workerType: typeName, name: key, def }) as AnyFunction;
  setRunner(fn, run);
  return fn;
}

/** Refuses names a spawned worker could not find its type by, and the prefix reserved for Cohort's own types. */
export function checkTypeName(typeName: unknown): void {
  if (typeof typeName !== 'string' || typeName === '' || typeName.startsWith('__') || typeName.includes('/')) {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `worker type name ${JSON.stringify(typeName)} is invalid: use a non-empty name without "/" that does not start with "__"`,
    );
  }
}

/**
 * Cohort's own worker types (the scheduler's, map-reduce's): `name` is reserved now, so a worker finds the type it
 * serves, but `define` (which builds every schema of the type) runs only when someone first needs the type. Every
 * process loads these types; few use them.
 */
export function deferWorkerType<T>(name: string, define: () => T): () => T {
  const type = lazily(define);
  workerTypes.addDeferred(name, type);
  return type;
}

/**
 * Defines a worker type (`Parallel.make` checks the name first; Cohort's own worker types, the scheduler's and
 * map-reduce's, use the reserved `__` prefix).
 */
export function defineWorkerType<
  const N extends string,
  F extends Record<string, AnyFunction<N>>,
  WI extends z.ZodType = z.ZodVoid,
  CI extends z.ZodType = z.ZodVoid,
  WS = undefined,
  CS = undefined,
>(spec: WorkerTypeSpec<N, WI, CI, WS, CS, F>): BaseWorkerType<N, WI, CI, F> {
  const typeName: string = spec.name;
  const raw = spec.functions(builder() as unknown as FunctionBuilder<N, WS, CS>) as unknown as Record<
    string,
    PendingFunction
  >;
  const functions = Object.freeze(
    Object.fromEntries(Object.entries(raw).map(([key, pending]) => [key, finalize(typeName, key, pending)])),
  );
  const initWorkerState = spec.initWorkerState as AnyWorkerType['initWorkerState'] | undefined;
  const initConnectionState = spec.initConnectionState as AnyWorkerType['initConnectionState'] | undefined;
  const erased: AnyWorkerType = {
    name: typeName,
    functions,
    workerInit: spec.workerInit ?? z.void(),
    connectionInit: spec.connectionInit ?? z.void(),
    initWorkerState: initWorkerState ?? (() => undefined),
    initConnectionState: initConnectionState ?? (() => undefined),
  };
  workerTypes.add(typeName, erased);
  const type = {
    name: typeName,
    functions,
    workerInit: erased.workerInit,
    connectionInit: erased.connectionInit,
    // Every spawn failure is Cohort's own and made for this spawn: it points at the line that called spawn.
    spawn: function spawn(options?: unknown): Promise<unknown> {
      const site = captureCallSite(spawn);
      return spawnWorker(erased, options ?? {}).catch((error: unknown) => Promise.reject(withCallSite(error, site)));
    },
    serve: (init?: unknown, options?: ServeOptions<unknown>) => serveInProcess(erased, init, options ?? {}),
    connect: (ref: WorkerRef, init?: unknown) => connectToRef(erased, ref, init),
  };
  return Object.freeze(type) as unknown as BaseWorkerType<N, WI, CI, F>;
}
