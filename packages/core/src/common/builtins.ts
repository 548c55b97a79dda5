import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as FsPromises from 'node:fs/promises';
import type * as WorkerThreads from 'node:worker_threads';

// Node built-ins that only some processes need (a master to spawn, a run to write its trace, a worker without a
// watchdog for its lifeline thread), or need only later (a worker's first handshake), loaded on first use. A static
// import loads a built-in, and builds its module namespace, in every process that loads `@cohort/core`: in each
// worker, at start.

export const childProcess = (): typeof ChildProcess => process.getBuiltinModule('node:child_process');
// OpenSSL's start makes this the costliest built-in Cohort loads (6 to 10 ms). Only a root process needs it: a
// master (the app's secret, its socket space, Slurm job names), or a worker on another machine, which makes its own
// socket space. A local worker never loads it (its handshake hashes with @cohort/rpc's bundled code).
export const crypto = (): typeof Crypto => process.getBuiltinModule('node:crypto');
export const fsPromises = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises');
export const workerThreads = (): typeof WorkerThreads => process.getBuiltinModule('node:worker_threads');
