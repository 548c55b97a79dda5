import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crypto } from '../common/builtins.js';

// The built-in's CommonJS object, not its ESM namespace, whose lazy getters load modules no worker needs.
const { mkdtempSync, readdirSync, rmdirSync, rmSync, unlinkSync } = process.getBuiltinModule('node:fs');

/** Where the workers of one app listen: a Unix socket name per worker. */
export interface SocketSpace {
  /** Passed to every worker of the app, whose own workers then listen in the same space. */
  readonly base: string;
  /** True for Linux's abstract namespace: nothing on disk, nothing to clean up, however the app ends. */
  readonly abstract: boolean;
  path(workerId: string): string;
  /** The worker behind `socketPath` has exited: its name is free again (its file removed, in a directory). */
  release(socketPath: string): void;
}

const ABSTRACT_PREFIX = '\0';

/**
 * The root app's space. On Linux, abstract socket names (`\0cohort-<random>/<id>.sock`): they vanish with the
 * socket, so no run, however it ends (SIGKILL, Ctrl-C), leaves a file or directory behind; anyone on the machine
 * may connect, and the app's secret refuses them before anything runs. Elsewhere (or with
 * `COHORT_SOCKETS=directory`), a private directory (mode 0700) removed at exit, or by the last worker out.
 */
export function rootSocketSpace(kept: () => ReadonlySet<string>): SocketSpace {
  if (process.platform === 'linux' && process.env['COHORT_SOCKETS'] !== 'directory') {
    return inheritedSocketSpace(`${ABSTRACT_PREFIX}cohort-${crypto().randomBytes(8).toString('hex')}`);
  }
  let dir: string | undefined;
  const space = directorySpace(() => {
    if (dir === undefined) {
      dir = mkdtempSync(join(tmpdir(), 'cohort-'));
      const made = dir;
      process.once('exit', () => removeSocketDir(made, kept()));
    }
    return dir;
  });
  return space;
}

/** The space a worker was given by its spawner. */
export function inheritedSocketSpace(base: string): SocketSpace {
  if (base.startsWith(ABSTRACT_PREFIX)) {
    return { base, abstract: true, path: (workerId) => `${base}/${workerId}.sock`, release: () => undefined };
  }
  return directorySpace(() => base);
}

function directorySpace(dir: () => string): SocketSpace {
  return {
    get base() {
      return dir();
    },
    abstract: false,
    path: (workerId) => join(dir(), `${workerId}.sock`),
    release: (socketPath) => {
      try {
        unlinkSync(socketPath);
      } catch {
        // Already removed by the worker's own server on its way out.
      }
    },
  };
}

/**
 * Removes the directory, except the sockets in `kept`: those of workers that outlive this process
 * ('shutdown-called'), which must stay reachable. The last of them to exit removes the directory.
 */
function removeSocketDir(dir: string, kept: ReadonlySet<string>): void {
  if (kept.size === 0) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (!kept.has(path)) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // Already gone.
  }
}

/** Removes a socket directory if it is empty (the last worker out); harmless otherwise, or for an abstract space. */
export function removeIfEmpty(space: SocketSpace): void {
  if (space.abstract) return;
  try {
    rmdirSync(space.base);
  } catch {
    // Not empty (other workers still live) or already gone.
  }
}
