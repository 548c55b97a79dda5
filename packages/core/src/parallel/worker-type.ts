import type { MaybePromise } from '@cohort/rpc';
import { z } from 'zod';
import { Rpc } from '@cohort/rpc';
import { CohortError } from '../errors.js';
import type { AnyFunction, FunctionBuilder, FunctionRunner, PendingFunction } from './functions.js';
import { Registry } from './registry.js';
import type { WorkerRef } from './ref.js';
import type { SpawnOptions } from './spawn-options.js';
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

/** Options of `Type.serve`. */
export interface ServeOptions<ConnectionInit> {
  /** Argument of the handle's default connection; needed for `worker.run` when the type's `connectionInit` requires one. */
  connectionInit?: ConnectionInit;
}

/** A worker type: its functions, and the ways to start or reach its workers. */
export interface WorkerType<N extends string, WI extends z.ZodType, CI extends z.ZodType, F extends Record<string, AnyFunction<N>>> {
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
  spawn(...args: SpawnArgs<WI, CI, { shutdownOn?: 'heartbeat-lost' | 'shutdown-called' }>): Promise<Worker<N, z.input<CI>>>;
  spawn(...args: SpawnArgs<WI, CI, { shutdownOn: 'connection-closed' }>): Promise<WorkerConnection<N>>;
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

/** A worker type with its type parameters erased, for the runtime. */
export interface AnyWorkerType {
  readonly name: string;
  readonly functions: Record<string, AnyFunction>;
  readonly workerInit: z.ZodType;
  readonly connectionInit: z.ZodType;
  initWorkerState(init: unknown, info: { workerId: string }): unknown;
  initConnectionState(init: unknown, info: { workerState: unknown; workerId: string }): unknown;
}

export const workerTypes = new Registry<AnyWorkerType>('worker type');

const runners = new WeakMap<AnyFunction, FunctionRunner>();

/** The serving side of a function (what its `run` does), known only inside the package. */
export function runnerOf(fn: AnyFunction): FunctionRunner {
  return runners.get(fn)!;
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
  if (typeof run !== 'function') throw new TypeError(`${typeName}.${key}: \`run\` must be a function`);
  const name = `${typeName}/${key}`;
  const describe = Rpc[pending.kind] as (spec: Record<string, unknown>) => AnyFunction['def'];
  const def = describe({ ...schemas, name });
  const fn = Object.freeze({ kind: pending.kind, workerType: typeName, name: key, def }) as AnyFunction;
  runners.set(fn, run);
  return fn;
}

/** Installed by the spawn module, which imports this one (kept apart so each file holds one idea). */
export interface WorkerTypeOperations {
  spawn(type: AnyWorkerType, options: unknown): Promise<unknown>;
  serve(type: AnyWorkerType, init: unknown, options: ServeOptions<unknown>): Promise<unknown>;
  connect(type: AnyWorkerType, ref: WorkerRef, init: unknown): Promise<unknown>;
}

let operations: WorkerTypeOperations | undefined;

export function installWorkerTypeOperations(ops: WorkerTypeOperations): void {
  operations = ops;
}

/**
 * Declares a worker type. Call at the top level of a module, before `startApp()`: a spawned worker re-runs the
 * same top-level code and finds its type by `name`.
 */
export function make<
  const N extends string,
  F extends Record<string, AnyFunction<N>>,
  WI extends z.ZodType = z.ZodVoid,
  CI extends z.ZodType = z.ZodVoid,
  WS = undefined,
  CS = undefined,
>(spec: WorkerTypeSpec<N, WI, CI, WS, CS, F>): WorkerType<N, WI, CI, F> {
  const typeName: string = spec.name;
  if (typeof typeName !== 'string' || typeName === '' || typeName.startsWith('__') || typeName.includes('/')) {
    throw new CohortError('INVALID_ARGUMENT', `worker type name ${JSON.stringify(typeName)} is invalid: use a non-empty name without "/" that does not start with "__"`);
  }
  return defineWorkerType(spec);
}

/** `make` without the name check: Cohort's own worker types (the scheduler's) use the reserved `__` prefix. */
export function defineWorkerType<
  const N extends string,
  F extends Record<string, AnyFunction<N>>,
  WI extends z.ZodType = z.ZodVoid,
  CI extends z.ZodType = z.ZodVoid,
  WS = undefined,
  CS = undefined,
>(spec: WorkerTypeSpec<N, WI, CI, WS, CS, F>): WorkerType<N, WI, CI, F> {
  const typeName: string = spec.name;
  const raw = spec.functions(builder() as unknown as FunctionBuilder<N, WS, CS>) as unknown as Record<string, PendingFunction>;
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
  const ops = (): WorkerTypeOperations => {
    if (operations === undefined) throw new Error('@cohort/core is not fully loaded');
    return operations;
  };
  const type = {
    name: typeName,
    functions,
    workerInit: erased.workerInit,
    connectionInit: erased.connectionInit,
    spawn: (options?: unknown) => ops().spawn(erased, options ?? {}),
    serve: (init?: unknown, options?: ServeOptions<unknown>) => ops().serve(erased, init, options ?? {}),
    connect: (ref: WorkerRef, init?: unknown) => ops().connect(erased, ref, init),
  };
  return Object.freeze(type) as unknown as WorkerType<N, WI, CI, F>;
}
