import { oneWay, pipe, reversePipe, rpc, state } from './definitions.js';
import { implement } from './implementation.js';

/**
 * Describe RPCs (shared by both peers) and implement them (on the serving side).
 *
 * @example
 * const add = Rpc.rpc({ name: 'add', input: z.tuple([z.number(), z.number()]), output: z.number() });
 * const impl = Rpc.implement(add, ([a, b]) => a + b);
 */
export const Rpc = Object.freeze({ rpc, pipe, state, oneWay, reversePipe, implement });
