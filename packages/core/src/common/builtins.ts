import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as FsPromises from 'node:fs/promises';
import type * as WorkerThreads from 'node:worker_threads';

// Node built-ins that only some processes need (a master to spawn, a run to write its trace, a worker without a
// watchdog for its lifeline thread), or need only later (a worker's first handshake), loaded on first use. A static import loads a built-in, and builds its module
// namespace, in every process that loads `@cohort/core`: in each worker, at start.

export const childProcess = (): typeof ChildProcess => process.getBuiltinModule('node:child_process');
// OpenSSL's start makes this the costliest built-in a worker loads (about 8 ms): a worker loads it once it has
// reported ready, while its spawner connects, not on the way there.
export const crypto = (): typeof Crypto => process.getBuiltinModule('node:crypto');
export const fsPromises = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises');
export const workerThreads = (): typeof WorkerThreads => process.getBuiltinModule('node:worker_threads');
