import { z } from 'zod';
import { Rpc } from '@cohort/rpc';

// The RPCs both bench servers offer. The raw server speaks the same calls by name over hand-written frames.

export const add = Rpc.rpc({ name: 'add', input: z.tuple([z.number(), z.number()]), output: z.number() });
export const echo = Rpc.rpc({ name: 'echo', input: z.instanceof(Uint8Array), output: z.instanceof(Uint8Array) });
/** Streams the integers `0 … n-1`. */
export const count = Rpc.pipe({ name: 'count', input: z.number().int().nonnegative(), item: z.number() });
/** `count`, with the items drawn from an async generator on the server. */
export const countFromGenerator = Rpc.pipe({
  name: 'countFromGenerator',
  input: z.number().int().nonnegative(),
  item: z.number(),
});

/** What the call workloads need: one tiny call. Cohort workers and the peer libraries' pools offer it too. */
export interface Adder {
  add(a: number, b: number): Promise<number>;
}

/** What both clients offer the workloads, so each workload is one piece of code run against both. */
export interface RpcSubject extends Adder {
  echo(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
  /** Streams `0 … n-1` from the server and returns how many items arrived and their sum. */
  count(n: number): Promise<{ items: number; sum: number }>;
  /** `count`, with the server drawing the items from an async generator. */
  countFromGenerator(n: number): Promise<{ items: number; sum: number }>;
  close(): Promise<void>;
}
