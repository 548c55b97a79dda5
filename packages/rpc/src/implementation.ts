import type { z } from 'zod';
import type { Connection } from './connection/connection.js';
import {
  menuKey,
  type OneWayDef,
  type PipeDef,
  type ReversePipeDef,
  type RpcDef,
  type StateDef,
  type AnyRpcDef,
} from './definitions.js';

/** What every implementation receives besides its input. */
export interface RpcContext {
  /** Aborted when the caller aborts or times out the call, breaks out of a stream, or the connection closes. */
  readonly signal: AbortSignal;
  /** The connection the call arrived on; an implementation may dispatch back to the caller through it. */
  readonly connection: Connection;
}

/** A value, or a promise of it: what handlers may return. */
export type MaybePromise<T> = T | Promise<T>;
/** A stream source: anything `for await` accepts. */
export type Source<T> = Iterable<T> | AsyncIterable<T>;

export type RpcHandler<I extends z.ZodType, O extends z.ZodType> = (
  input: z.output<I>,
  ctx: RpcContext,
) => MaybePromise<z.input<O>>;
export type PipeHandler<I extends z.ZodType, T extends z.ZodType> = (
  input: z.output<I>,
  ctx: RpcContext,
) => MaybePromise<Source<z.input<T>>>;
export type StateHandler<I extends z.ZodType, S extends z.ZodType, U extends z.ZodType> = (
  input: z.output<I>,
  ctx: RpcContext,
) => MaybePromise<{ state: z.input<S>; updates: Source<z.input<U>> }>;
export type OneWayHandler<I extends z.ZodType> = (input: z.output<I>, ctx: RpcContext) => MaybePromise<void>;
export type ReversePipeHandler<I extends z.ZodType, T extends z.ZodType, O extends z.ZodType> = (
  input: z.output<I>,
  items: AsyncIterable<z.output<T>>,
  ctx: RpcContext,
) => MaybePromise<z.input<O>>;

/** The handler type that implements description `D`. */
export type Handler<D extends AnyRpcDef> =
  D extends RpcDef<infer I, infer O>
    ? RpcHandler<I, O>
    : D extends PipeDef<infer I, infer T>
      ? PipeHandler<I, T>
      : D extends StateDef<infer I, infer S, infer U>
        ? StateHandler<I, S, U>
        : D extends OneWayDef<infer I>
          ? OneWayHandler<I>
          : D extends ReversePipeDef<infer I, infer T, infer O>
            ? ReversePipeHandler<I, T, O>
            : never;

/** A description paired with the function that serves it. Build with `Rpc.implement`. */
export interface Implementation<D extends AnyRpcDef = AnyRpcDef> {
  readonly def: D;
  readonly handler: Handler<D>;
}

/** Any implementation, its handler type erased: what servers and connections accept in a list. */
export interface AnyImplementation {
  readonly def: AnyRpcDef;
  readonly handler: (...args: never[]) => unknown;
}

export function implement<D extends AnyRpcDef>(def: D, handler: Handler<D>): Implementation<D> {
  if (typeof handler !== 'function') throw new TypeError(`Rpc.implement(${def.name}): the handler must be a function`);
  return Object.freeze({ def, handler });
}

/** Implementations by `name@version`; two for the same RPC is a programming error, named in the `TypeError`. */
export function indexImplementations(implementations: readonly AnyImplementation[]): Map<string, AnyImplementation> {
  const byKey = new Map<string, AnyImplementation>();
  for (const impl of implementations) {
    const key = menuKey(impl.def.name, impl.def.version);
    if (byKey.has(key))
      throw new TypeError(
        `two implementations of ${impl.def.name} (version ${impl.def.version}); each RPC needs exactly one`,
      );
    byKey.set(key, impl);
  }
  return byKey;
}

/** Whether `value` can be a stream source (`for await` accepts it). */
export function isSource(value: unknown): value is Source<unknown> {
  return typeof value === 'object' && value !== null && (Symbol.iterator in value || Symbol.asyncIterator in value);
}

export const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
