import { captureCallSite, withCallSite, type CallSite } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { CohortError } from '../common/errors.js';
import {
  mapReduceDefs,
  define,
  type AnyMapReduceDef,
  type MapReduceDef,
  type MapReduceFunctions,
} from './definition.js';
import type { runBatches as RunBatches } from './engine.js';
// Every process reserves the map-reduce worker type's name (a worker finds its type by name); the engine that
// spawns and feeds those workers loads only with the first run.
import './mapreduce-worker.js';
import type { MapReduceOptions } from './options.js';
import { loadPart } from '../common/lazy-parts.js';

/** What map-reduce operations accept as inputs: consumed lazily. */
export type MapReduceInputs<T> = Iterable<T> | AsyncIterable<T>;
/** Any map-reduce definition with these schemas (the state type does not matter to callers). */
export type MapReduceDefOf<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType> = MapReduceDef<
  string,
  P,
  I,
  O,
  unknown
>;

function functionsOf(def: AnyMapReduceDef, site: CallSite | undefined): MapReduceFunctions {
  const fns = mapReduceDefs.get(def?.name);
  if (fns === undefined || fns.def !== def) {
    const message = `${String(def?.name)} was not created by MapReduce.define: pass the object MapReduce.define returned`;
    throw withCallSite(new CohortError('INVALID_ARGUMENT', message), site);
  }
  return fns;
}

const erase = <P>(options: MapReduceOptions<P> | undefined): MapReduceOptions<unknown> =>
  (options ?? {}) as MapReduceOptions<unknown>;

// Every operation captures its caller's call site where it is called (a generator's body runs only at the first
// `next()`, hence the plain functions in front of them): the operation's failures point there.

/** The engine's `runBatches`, loaded at the first run. */
async function* runBatches(...args: Parameters<typeof RunBatches>): ReturnType<typeof RunBatches> {
  const engine = (await loadPart('mapReduceEngine')) as typeof import('./engine.js');
  yield* engine.runBatches(...args);
}

/** Maps every input, yielding `[output, inputIndex]` as results arrive (any order). */
function mapUnordered<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options?: MapReduceOptions<z.input<P>>,
): AsyncGenerator<[z.output<O>, number]> {
  return unordered(def, inputs, options, captureCallSite(mapUnordered));
}

async function* unordered<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options: MapReduceOptions<z.input<P>> | undefined,
  site: CallSite | undefined,
): AsyncGenerator<[z.output<O>, number]> {
  const fns = functionsOf(def as AnyMapReduceDef, site);
  for await (const batch of runBatches(fns, inputs, erase(options), { combine: false, ordered: false }, site)) {
    const outputs = batch.outputs!;
    for (let i = 0; i < outputs.length; i++) yield [outputs[i] as z.output<O>, batch.start + i];
  }
}

/** Maps every input, yielding outputs in input order. */
function map<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options?: MapReduceOptions<z.input<P>>,
): AsyncGenerator<z.output<O>> {
  return ordered(def, inputs, options, captureCallSite(map));
}

async function* ordered<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options: MapReduceOptions<z.input<P>> | undefined,
  site: CallSite | undefined,
): AsyncGenerator<z.output<O>> {
  const fns = functionsOf(def as AnyMapReduceDef, site);
  for await (const batch of runBatches(fns, inputs, erase(options), { combine: false, ordered: true }, site)) {
    yield* batch.outputs as z.output<O>[];
  }
}

/** The first non-`undefined` output found (in completion order); stops every worker as soon as it has one. */
function findMap<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options?: MapReduceOptions<z.input<P>>,
): Promise<z.output<O> | undefined> {
  return find(def, inputs, options, captureCallSite(findMap));
}

async function find<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options: MapReduceOptions<z.input<P>> | undefined,
  site: CallSite | undefined,
): Promise<z.output<O> | undefined> {
  const fns = functionsOf(def as AnyMapReduceDef, site);
  for await (const batch of runBatches(fns, inputs, erase(options), { combine: false, ordered: false }, site)) {
    const found = batch.outputs!.find((output) => output !== undefined);
    if (found !== undefined) return found as z.output<O>;
  }
  return undefined;
}

async function reduce(
  def: AnyMapReduceDef,
  inputs: MapReduceInputs<unknown>,
  options: MapReduceOptions<unknown>,
  inOrder: boolean,
  site: CallSite | undefined,
): Promise<unknown> {
  const fns = functionsOf(def, site);
  let acc: unknown;
  let empty = true;
  for await (const batch of runBatches(fns, inputs, options, { combine: true, ordered: inOrder }, site)) {
    if (empty) acc = batch.combined;
    else acc = await fns.combine!(acc, batch.combined);
    empty = false;
  }
  return empty ? undefined : acc;
}

/** Maps and combines every output in any order (`combine` must be associative and commutative). `undefined` on empty input. */
function mapReduceCommutative<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options?: MapReduceOptions<z.input<P>>,
): Promise<z.output<O> | undefined> {
  return reduce(
    def as AnyMapReduceDef,
    inputs,
    erase(options),
    false,
    captureCallSite(mapReduceCommutative),
  ) as Promise<z.output<O> | undefined>;
}

/** Maps and combines every output in input order (`combine` need only be associative). `undefined` on empty input. */
function mapReduce<P extends z.ZodType, I extends z.ZodType, O extends z.ZodType>(
  def: MapReduceDefOf<P, I, O>,
  inputs: MapReduceInputs<z.input<I>>,
  options?: MapReduceOptions<z.input<P>>,
): Promise<z.output<O> | undefined> {
  return reduce(def as AnyMapReduceDef, inputs, erase(options), true, captureCallSite(mapReduce)) as Promise<
    z.output<O> | undefined
  >;
}

/**
 * rpc_parallel's map-reduce on Cohort workers, batched and pipelined so that tiny maps are not bound by one round
 * trip per item.
 *
 * @example
 * for await (const out of MapReduce.map(WordCount, files, { param: { min: 3 }, workers: 4 })) console.log(out);
 */
export const MapReduce = Object.freeze({ define, map, mapUnordered, findMap, mapReduceCommutative, mapReduce });
