import type { RpcKind } from './definitions.js';

/**
 * Where a call was made in the caller's code. A call that fails later fails in a socket callback or a timer, whose
 * stack is the library's, not the caller's: the error it fails with gets the caller's frames instead, in one of two
 * ways.
 *
 * - Lazily, for a call with one answer: nothing is captured while it runs. The promise the caller awaits is derived
 *   from the call's (`traced`), whose rejection handler captures the stack there: V8 rebuilds it from the chain of
 *   async functions awaiting the call (`at async chargeCustomer (billing.js:12:5)`), at no cost unless the call
 *   fails. A stack walk per call (`Error.captureStackTrace`) costs several µs, a tenth of a round trip; this costs
 *   one promise reaction (packages/examples/src/bench/call-site.ts measures both).
 * - Eagerly, for a stream (its failure reaches the caller from `next()`, long after the call) and for operations
 *   whose own cost dwarfs a stack walk (a map-reduce, a scheduler run, a spawn): the frames below the entry point are
 *   captured when it is called, and become text (source-mapped when source maps are on) only if it fails.
 *
 * `Error.stackTraceLimit` bounds the frames as for any error; at 0 nothing is captured.
 */
export interface CallSite {
  readonly stack?: unknown;
}

/** A function whose frame and those above it are left out of a captured call site. */
export type Boundary = (...args: never[]) => unknown;

/** The caller's frames below `boundary` (the entry point the caller called), or none when stack traces are off. */
export function captureCallSite(boundary: Boundary): CallSite | undefined {
  if (Error.stackTraceLimit === 0) return undefined;
  const site: CallSite = {};
  Error.captureStackTrace(site, boundary);
  return site;
}

/**
 * `error` with its stack's frames replaced by the call site's (its first line, the error's name and message, kept).
 * A site without frames of the caller's (only Node's own, as when no async function awaited the call) changes
 * nothing: the library's frames say more than none.
 */
export function withCallSite<E>(error: E, site: CallSite | undefined): E {
  if (site === undefined || !(error instanceof Error)) return error;
  try {
    const stack = site.stack;
    const newline = typeof stack === 'string' ? stack.indexOf('\n') : -1;
    if (newline === -1) return error;
    // Node's own frames (the microtask queue that resumed the caller) say nothing about where the call was made.
    const frames = (stack as string)
      .slice(newline + 1)
      .split('\n')
      .filter((line) => !line.includes('(node:internal/') && !line.includes(' node:internal/'));
    if (frames.length === 0) return error;
    const header = Error.prototype.toString.call(error);
    Object.defineProperty(error, 'stack', {
      value: `${header}\n${frames.join('\n')}`,
      writable: true,
      configurable: true,
    });
  } catch {
    // A frozen error, or a stack that could not be formatted: it keeps the stack it has.
  }
  return error;
}

/** Errors made for one call whose caller's frames are to be found lazily, when they reach the caller (`traced`). */
const awaitingCaller = new WeakSet<object>();

/**
 * An error the library made for one call (never one shared by several calls, nor one of the caller's own, such as a
 * reverse pipe's item source that threw): with the call's eager `site`, its frames become the site's now; without,
 * they will be those of the code awaiting the call.
 */
export function forTheCaller<E>(error: E, site: CallSite | undefined): E {
  if (site !== undefined) return withCallSite(error, site);
  if (typeof error === 'object' && error !== null) awaitingCaller.add(error);
  return error;
}

/**
 * The promise a caller awaits for a call with one answer: see {@link CallSite}. A derived promise (one reaction, the
 * cheapest way to step in on failure): V8 finds the async functions awaiting it from the reaction's promise too.
 */
export function traced<T>(call: Promise<T>): Promise<T> {
  return call.then(undefined, placeFailure);
}

function placeFailure(error: unknown): never {
  if (typeof error !== 'object' || error === null || !awaitingCaller.delete(error)) throw error;
  // Here, run by the failure, the stack below this function is the chain of async functions awaiting the call.
  throw withCallSite(error, captureCallSite(placeFailure));
}

/**
 * A public entry point's call, placed as {@link CallSite} says: a stream gets a site captured now (below
 * `boundary`), a call with one answer is traced, a one-way call (which never fails later) gets neither.
 */
export function placedCall<T>(
  kind: RpcKind,
  boundary: Boundary,
  start: (site: CallSite | undefined) => Promise<T>,
): Promise<T> {
  if (kind === 'pipe' || kind === 'state') return start(captureCallSite(boundary));
  const call = start(undefined);
  return kind === 'oneWay' ? call : traced(call);
}

/**
 * `connection[dispatchFrom](site, def, arg, options)`: `dispatch` for the layers above (`@cohort/core`), which
 * place the call themselves: `site` is their caller's eager site, or `undefined` for errors to be found by their
 * own `traced` (or by no one: an internal call).
 */
export const dispatchFrom: unique symbol = Symbol('cohort.dispatchFrom');
