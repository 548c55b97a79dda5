// Process checks shared by every core test: a test that spawns processes proves afterwards that none is alive.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether `pid` is a running process. An exited worker whose master is gone is re-parented to pid 1, which in a
 * container may never reap it: a zombie answers `kill(pid, 0)` but runs nothing, so it counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (error) {
    // No /proc (not Linux): trust kill(pid, 0). Gone since: not alive.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Waits up to `deadlineMs` for every pid to be gone; returns those still alive. */
export async function waitGone(pids: readonly number[], deadlineMs: number): Promise<number[]> {
  const until = Date.now() + deadlineMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Waits for `pids` to be gone, SIGKILLs survivors by pid, and throws naming them: a leaked process fails the test. */
export async function expectAllGone(pids: readonly number[], deadlineMs = 15_000, what = 'process'): Promise<void> {
  const survivors = await waitGone(pids, deadlineMs);
  for (const pid of survivors) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
  if (survivors.length > 0) throw new Error(`${what} pids ${survivors.join(', ')} still alive after ${deadlineMs} ms`);
}

/**
 * Pids of the live children of `pid` (from /proc), to find workers a fixture started. Not counted: the esbuild
 * service tsx starts under a fixture run with `--import tsx` when it first compiles a module it has not cached (a
 * cold cache, as on a fresh CI machine), which lives as long as the fixture and is no worker's.
 */
export function childPids(pid: number): number[] {
  return allChildPids(pid).filter((child) => !isTsxCompiler(child, pid) && !isWatchdog(child));
}

/** The watchdogs among the children of `pid` (see isWatchdog): one for a process that spawned local workers. */
export function watchdogsOf(pid: number): number[] {
  return allChildPids(pid).filter(isWatchdog);
}

function allChildPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A fixture `wrap` that runs the master where `/bin/sh` cannot be executed, as in a distroless image: a mount
 * namespace of its own with /dev/null mounted over /bin/sh. Needs root and util-linux's `unshare`; undefined where
 * they are not.
 */
export const withoutBinSh: readonly string[] | undefined = (() => {
  const script = 'mount --bind /dev/null /bin/sh';
  if (process.getuid?.() !== 0) return undefined;
  const probe = spawnSync('unshare', [
    '--mount',
    '--',
    '/bin/bash',
    '-c',
    `${script} && ! /bin/sh -c true 2>/dev/null`,
  ]);
  if (probe.status !== 0) return undefined;
  return ['unshare', '--mount', '--', '/bin/bash', '-c', `${script} && exec "$0" "$@"`];
})();

/**
 * Whether `pid` is a spawner's watchdog (one `/bin/sh` per process that spawns local workers, no worker). Not among
 * a process's children here, but among its run's processes still: a fixture run proves it gone at the end.
 */
export function isWatchdog(pid: number): boolean {
  return commandArgs(pid)?.includes('cohort-watchdog') === true;
}

/** Whether `pid` is the esbuild service of the tsx run by `parent` (see childPids). */
export function isTsxCompiler(pid: number, parent: number): boolean {
  const args = commandArgs(pid);
  return (
    parentOf(pid) === parent &&
    args !== undefined &&
    /\/esbuild$/.test(args[0] ?? '') &&
    args.some((arg) => arg.startsWith('--service'))
  );
}

/**
 * Pids of the live processes whose initial environment holds `entry` (`NAME=value`): finds the workers of a run even
 * once they have been re-parented away from it.
 */
export function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) pids.push(Number(name));
    } catch {
      // Gone, or another user's.
    }
  }
  return pids;
}

/** A process's parent pid (from /proc), or 0 once it is gone. */
export function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** A process's command line as its arguments, or undefined once it is gone. */
export function commandArgs(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}
