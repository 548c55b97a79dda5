import type * as ChildProcess from 'node:child_process';
import type * as FsPromises from 'node:fs/promises';
import type * as WorkerThreads from 'node:worker_threads';

// Node built-ins that only some processes need (a master to spawn, a run to write its trace, a worker without a
// watchdog for its lifeline thread), loaded on first use. A static import loads a built-in, and builds its module
// namespace, in every process that loads `@cohort/core`: in each worker, at start.

export const childProcess = (): typeof ChildProcess => process.getBuiltinModule('node:child_process');
export const fsPromises = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises');
export const workerThreads = (): typeof WorkerThreads => process.getBuiltinModule('node:worker_threads');
