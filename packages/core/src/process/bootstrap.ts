import { z } from 'zod';
import { lazily } from '../common/options.js';

// Every schema here is built on first use (see `lazily`): a worker builds the bootstrap's when it reads its
// bootstrap, and never the reports', which only spawners read.

export const addressSchema = lazily(() =>
  z.union([z.object({ path: z.string() }), z.object({ host: z.string(), port: z.number().int() })]),
);

/**
 * A worker type as its spawner describes it, for the worker to compare with its own before it serves (version
 * skew: a worker whose entry script differs). Digests are of each schema's JSON Schema (see parallel/type-shape.ts).
 */
const typeShapeSchema = lazily(() =>
  z.object({
    /** Per function key: its kind, version and a digest per schema (input, output, item, state, update). */
    functions: z.record(
      z.string(),
      z.object({ kind: z.string(), version: z.number(), schemas: z.record(z.string(), z.string()) }),
    ),
    /** Digests of the type's `workerInit` and `connectionInit` schemas. */
    init: z.record(z.string(), z.string()),
  }),
);
export type TypeShape = z.infer<ReturnType<typeof typeShapeSchema>>;

/** Spawner → worker, first message on the control channel. Carries the secret, so it never goes on argv or env. */
export const bootstrapSchema = lazily(() =>
  z.object({
    v: z.literal(1),
    type: z.string(),
    shape: typeShapeSchema(),
    id: z.string(),
    name: z.string(),
    secret: z.string(),
    init: z.unknown(),
    listen: addressSchema(),
    rpc: z.record(z.string(), z.unknown()).optional(),
    shutdownOn: z.enum(['heartbeat-lost', 'connection-closed', 'shutdown-called']),
    /**
     * Where the worker watches its lifeline: `'main'`, on its main thread, when its spawner's watchdog kills it if it
     * is stuck; `'thread'`, from a thread of its own, which can kill it (no watchdog: a remote launcher, no /bin/sh).
     */
    lifeline: z.enum(['main', 'thread']),
    connectionTimeoutMs: z.number(),
    /** Where the app's workers listen (see SocketSpace); absent for a worker on another machine, which makes its own. */
    socketSpace: z.string().optional(),
    /** The app's root process, owner of the socket space (absent with it). */
    rootPid: z.number().int().optional(),
  }),
);
export type Bootstrap = z.infer<ReturnType<typeof bootstrapSchema>>;

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
  ]),
);
export type Report = z.infer<ReturnType<typeof reportSchema>>;
