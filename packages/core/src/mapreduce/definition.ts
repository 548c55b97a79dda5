import type { MaybePromise } from '@cohort/rpc/internal';
import { z } from 'zod';
import { Registry } from '../common/registry.js';

/** A declared map-reduce: what its workers run, found by `name` in each worker (the same program, re-run). */
export interface MapReduceDef<N extends string, P extends z.ZodType, I extends z.ZodType, O extends z.ZodType, S> {
  readonly name: N;
  readonly param: P;
  readonly input: I;
  readonly output: O;
  /** Present when a `combine` was given: needed by `mapReduce` and `mapReduceCommutative`. */
  readonly combinable: boolean;
  /** @internal phantom: the per-worker state type. */
  readonly __state?: S;
}

/** Any definition, its parameters erased. */
export type AnyMapReduceDef = MapReduceDef<string, z.ZodType, z.ZodType, z.ZodType, unknown>;

/** The functions of a definition, kept apart from the public object. */
export interface MapReduceFunctions {
  readonly def: AnyMapReduceDef;
  init(param: unknown, info: { workerIndex: number }): unknown;
  map(state: unknown, input: unknown): unknown;
  combine: ((a: unknown, b: unknown) => unknown) | undefined;
}

export const mapReduceDefs = new Registry<MapReduceFunctions>('map-reduce');

/**
 * Declares a map-reduce. Call at top level, before `startApp()` (workers re-run the program and find it by name).
 *
 * @example
 * export const WordCount = MapReduce.define({
 *   name: 'word-count', param: z.object({ min: z.number() }), input: z.string(), output: z.record(z.string(), z.number()),
 *   map: (param, text) => count(text, param.min),
 *   combine: (a, b) => merge(a, b),
 * });
 */
export function define<
  const N extends string,
  P extends z.ZodType,
  I extends z.ZodType,
  O extends z.ZodType,
  S = z.output<P>,
>(spec: {
  name: N;
  /** Sent once to each worker; validated there. @default z.void() */
  param?: P;
  input: I;
  output: O;
  /** Once per worker, before its first map: turns the param into the state every `map` receives. @default the param */
  init?: (param: z.output<P>, info: { workerIndex: number }) => MaybePromise<S>;
  map: (state: S, input: z.output<I>) => MaybePromise<z.input<O>>;
  /** Combines two outputs; must be associative (and commutative for `mapReduceCommutative`). */
  combine?: (a: z.output<O>, b: z.output<O>) => MaybePromise<z.input<O>>;
}): MapReduceDef<N, P, I, O, S> {
  const def = Object.freeze({
    name: spec.name,
    param: (spec.param ?? z.void()) as P,
    input: spec.input,
    output: spec.output,
    combinable: spec.combine !== undefined,
  }) as MapReduceDef<N, P, I, O, S>;
  mapReduceDefs.add(spec.name, {
    def: def as unknown as AnyMapReduceDef,
    init: (spec.init ?? ((param: unknown) => param)) as MapReduceFunctions['init'],
    map: spec.map as MapReduceFunctions['map'],
    combine: spec.combine as MapReduceFunctions['combine'],
  });
  return def;
}
