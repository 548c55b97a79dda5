import type { Address } from '@cohort/rpc/internal';
import { z } from 'zod';
import { lazily } from '../common/options.js';

// Every schema here is built on first use (see `lazily`): a worker never builds the reports', which only spawners
// read.

export const addressSchema = lazily(() =>
  z.union([z.object({ path: z.string() }), z.object({ host: z.string(), port: z.number().int() })]),
);

/**
 * A worker type as its spawner describes it, for the worker to compare with its own before it serves (version
 * skew: a worker whose entry script differs). Digests are of each schema's zod definition (see parallel/type-shape.ts).
 */
export interface TypeShape {
  /** Per function key: its kind, version and a digest per schema (input, output, item, state, update). */
  functions: Record<string, { kind: string; version: number; schemas: Record<string, string> }>;
  /** Digests of the type's `workerInit` and `connectionInit` schemas. */
  init: Record<string, string>;
}

const SHUTDOWN_ON = ['heartbeat-lost', 'connection-closed', 'shutdown-called'] as const;
const LIFELINES = ['main', 'thread'] as const;

/** Spawner → worker, first message on the control channel. Carries the secret, so it never goes on argv or env. */
export interface Bootstrap {
  v: 1;
  type: string;
  shape: TypeShape;
  id: string;
  name: string;
  secret: string;
  init: unknown;
  listen: Address;
  rpc?: Record<string, unknown>;
  shutdownOn: (typeof SHUTDOWN_ON)[number];
  /**
   * Where the worker watches its lifeline: `'main'`, on its main thread, when its spawner's watchdog kills it if it
   * is stuck; `'thread'`, from a thread of its own, which can kill it (no watchdog: a remote launcher, no /bin/sh).
   */
  lifeline: (typeof LIFELINES)[number];
  connectionTimeoutMs: number;
  /** Where the app's workers listen (see SocketSpace); absent for a worker on another machine, which makes its own. */
  socketSpace?: string;
  /** The app's root process, owner of the socket space (absent with it). */
  rootPid?: number;
}

// The bootstrap is checked by hand, not with a zod schema: it is read once, at the start of every worker, where
// building its schema and a first parse cost about 6 ms (a third of Cohort's own work before the worker listens).
// Its writer is this package in the spawner; the check catches a spawner of another Cohort version, or a bug.

type Check = (value: unknown) => boolean;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString: Check = (value) => typeof value === 'string';
const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isInteger: Check = (value) => Number.isSafeInteger(value);
const oneOf =
  (choices: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && choices.includes(value);
const recordOf =
  (check: Check): Check =>
  (value) =>
    isRecord(value) && Object.values(value).every(check);
const isAddress: Check = (value) =>
  isRecord(value) && (isString(value['path']) || (isString(value['host']) && isInteger(value['port'])));
const isFunctionShape: Check = (value) =>
  isRecord(value) && isString(value['kind']) && isNumber(value['version']) && recordOf(isString)(value['schemas']);
const isTypeShape: Check = (value) =>
  isRecord(value) && recordOf(isFunctionShape)(value['functions']) && recordOf(isString)(value['init']);

/**
 * Each field's check; `optional` fields may be absent (or undefined). `init` is the app's own value (absent when the
 * type takes none), checked against the type's `workerInit` schema once the worker knows its type.
 */
const BOOTSTRAP_FIELDS: Record<string, { check: Check; optional?: true }> = {
  v: { check: (value) => value === 1 },
  type: { check: isString },
  shape: { check: isTypeShape },
  id: { check: isString },
  name: { check: isString },
  secret: { check: isString },
  init: { check: () => true, optional: true },
  listen: { check: isAddress },
  rpc: { check: isRecord, optional: true },
  shutdownOn: { check: oneOf(SHUTDOWN_ON) },
  lifeline: { check: oneOf(LIFELINES) },
  connectionTimeoutMs: { check: isNumber },
  socketSpace: { check: isString, optional: true },
  rootPid: { check: isInteger, optional: true },
};

/** `raw` as a bootstrap, or what is wrong with it (the first field that is missing or malformed). */
export function checkBootstrap(raw: unknown): Bootstrap | string {
  if (!isRecord(raw)) return 'not a map';
  for (const [field, { check, optional }] of Object.entries(BOOTSTRAP_FIELDS)) {
    const value = raw[field];
    if (value === undefined && optional === true) continue;
    if (value === undefined) return `no "${field}"`;
    if (!check(value)) return field === 'v' ? `version ${String(value)}, expected 1` : `malformed "${field}"`;
  }
  return raw as unknown as Bootstrap;
}

/** Worker → spawner reports on the control channel. */
export const reportSchema = lazily(() =>
  z.discriminatedUnion('t', [
    z.object({ t: z.literal('ready'), address: addressSchema() }),
    z.object({ t: z.literal('error'), message: z.string() }),
    z.object({ t: z.literal('failure'), message: z.string() }),
    /** A one-way function threw in the worker: nobody awaits it, so its spawner is told. */
    z.object({ t: z.literal('one-way-error'), rpc: z.string(), message: z.string() }),
    /** The worker is about to exit on purpose (e.g. `'idle'`): sent before it exits, read before its exit is reported. */
    z.object({ t: z.literal('exiting'), reason: z.string() }),
    /** Written from the worker's `'exit'` event: its process is ending with `code`, whoever asked. */
    z.object({ t: z.literal('exit'), code: z.number() }),
  ]),
);
export type Report = z.infer<ReturnType<typeof reportSchema>>;
