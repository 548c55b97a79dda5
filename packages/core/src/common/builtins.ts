import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as FsPromises from 'node:fs/promises';
import type * as WorkerThreads from 'node:worker_threads';

// Node built-ins that only some processes need (a master to spawn, a run to write its trace, a worker without a
// watchdog for its lifeline thread), or need only later (a worker's first handshake), loaded on first use. A static
// import loads a built-in, and builds its module namespace, in every process that loads `@cohort/core`: in each
// worker, at start.

export const childProcess = (): typeof ChildProcess => process.getBuiltinModule('node:child_process');
// OpenSSL's start makes this the costliest built-in Cohort loads (about 8 ms); a worker needs it only for its
// first handshake, after it has checked its bootstrap and started listening.
export const crypto = (): typeof Crypto => process.getBuiltinModule('node:crypto');
export const fsPromises = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises');
export const workerThreads = (): typeof WorkerThreads => process.getBuiltinModule('node:worker_threads');
