import type {
  MaybePromise,
  Connection,
  OneWayDef,
  PipeDef,
  ReversePipeDef,
  RpcDef,
  Source,
  StateDef,
} from '@cohort/rpc/internal';
import type { z } from 'zod';

/** What every worker function receives besides its input. */
export interface FunctionContext<WorkerState, ConnectionState> {
  /** The value `initWorkerState` returned in this worker (shared by all connections). */
  readonly workerState: WorkerState;
  /** The value `initConnectionState` returned for the connection this call arrived on. */
  readonly connectionState: ConnectionState;
  /** Aborted when the caller aborts or times out, breaks out of a stream, or the connection closes. */
  readonly signal: AbortSignal;
  /** The worker's unique id. */
  readonly workerId: string;
  /** The connection the call arrived on: the worker can dispatch back to its caller through it. */
  readonly connection: Connection;
}

interface FunctionBase<N extends string> {
  /** The worker type this function belongs to: running it on another type's worker is a type error. */
  readonly workerType: N;
  /** The function's key in `functions`. */
  readonly name: string;
}

export interface RpcFunction<N extends string, I extends z.ZodType, O extends z.ZodType> extends FunctionBase<N> {
  readonly kind: 'rpc';
  readonly def: RpcDef<I, O>;
}
export interface PipeFunction<N extends string, I extends z.ZodType, T extends z.ZodType> extends FunctionBase<N> {
  readonly kind: 'pipe';
  readonly def: PipeDef<I, T>;
}
export interface StateFunction<N extends string, I extends z.ZodType, S extends z.ZodType, U extends z.ZodType>
  extends FunctionBase<N> {
  readonly kind: 'state';
  readonly def: StateDef<I, S, U>;
}
export interface OneWayFunction<N extends string, I extends z.ZodType> extends FunctionBase<N> {
  readonly kind: 'oneWay';
  readonly def: OneWayDef<I>;
}
export interface ReversePipeFunction<N extends string, I extends z.ZodType, T extends z.ZodType, O extends z.ZodType>
  extends FunctionBase<N> {
  readonly kind: 'reversePipe';
  readonly def: ReversePipeDef<I, T, O>;
}

/** Any function of worker type `N`. */
export type AnyFunction<N extends string = string> =
  | RpcFunction<N, z.ZodType, z.ZodType>
  | PipeFunction<N, z.ZodType, z.ZodType>
  | StateFunction<N, z.ZodType, z.ZodType, z.ZodType>
  | OneWayFunction<N, z.ZodType>
  | ReversePipeFunction<N, z.ZodType, z.ZodType, z.ZodType>;

/** The builder handed to `functions: (f) => ({ … })`; its methods carry the state types into every `run`. */
export interface FunctionBuilder<N extends string, WS, CS> {
  rpc<I extends z.ZodType, O extends z.ZodType>(spec: {
    input: I;
    output: O;
    version?: number;
    run: (input: z.output<I>, ctx: FunctionContext<WS, CS>) => MaybePromise<z.input<O>>;
  }): RpcFunction<N, I, O>;
  pipe<I extends z.ZodType, T extends z.ZodType>(spec: {
    input: I;
    item: T;
    version?: number;
    run: (input: z.output<I>, ctx: FunctionContext<WS, CS>) => MaybePromise<Source<z.input<T>>>;
  }): PipeFunction<N, I, T>;
  state<I extends z.ZodType, S extends z.ZodType, U extends z.ZodType>(spec: {
    input: I;
    state: S;
    update: U;
    version?: number;
    run: (
      input: z.output<I>,
      ctx: FunctionContext<WS, CS>,
    ) => MaybePromise<{ state: z.input<S>; updates: Source<z.input<U>> }>;
  }): StateFunction<N, I, S, U>;
  oneWay<I extends z.ZodType>(spec: {
    input: I;
    version?: number;
    run: (input: z.output<I>, ctx: FunctionContext<WS, CS>) => MaybePromise<void>;
  }): OneWayFunction<N, I>;
  reversePipe<I extends z.ZodType, T extends z.ZodType, O extends z.ZodType>(spec: {
    input: I;
    item: T;
    output: O;
    version?: number;
    run: (
      input: z.output<I>,
      items: AsyncIterable<z.output<T>>,
      ctx: FunctionContext<WS, CS>,
    ) => MaybePromise<z.input<O>>;
  }): ReversePipeFunction<N, I, T, O>;
}

/** A function's serving side, kept out of the public objects. Type-erased: `make` checked the types. */
export type FunctionRunner = (...args: never[]) => unknown;

/** What `f.rpc(…)` and friends return before `Parallel.make` knows the function's key. */
export interface PendingFunction {
  readonly kind: AnyFunction['kind'];
  readonly spec: Record<string, unknown> & { run: FunctionRunner; version?: number };
}
