// Where an app's workers listen, as tests look for it from both sides: on Linux, abstract socket names
// (`\0cohort-<random>/<id>.sock`, nothing on disk; /proc/net/unix shows them as `@cohort-<random>/<id>.sock`), or
// with COHORT_SOCKETS=directory a private directory `cohort-XXXX` in TMPDIR. Plain functions of /proc and the file
// system: fixtures and tests both import this (unlike fixture-report.ts, it needs no run directory).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** An app's socket space as a fixture reports it: the abstract prefix without its NUL, or the directory. */
export interface SocketSpaceReport {
  readonly abstract: boolean;
  /** `cohort-<random>` for an abstract space (as in /proc/net/unix after its `@`), the directory otherwise. */
  readonly base: string;
}

/** The socket space of the app a worker belongs to, from its ref's address (`{ path }` for local workers). */
export function socketSpaceOf(ref: { readonly address: { readonly path?: string } | object }): SocketSpaceReport {
  const path = 'path' in ref.address ? ref.address.path : undefined;
  if (typeof path !== 'string') throw new Error(`not a Unix socket address: ${JSON.stringify(ref.address)}`);
  if (path.startsWith('\0')) return { abstract: true, base: path.slice(1, path.lastIndexOf('/')) };
  return { abstract: false, base: dirname(path) };
}

/**
 * The distinct abstract socket names of an app still bound anywhere on this machine (network namespace): listening
 * sockets, and the connections they accepted (which /proc/net/unix lists under the same name).
 */
export function abstractSocketNames(base: string): string[] {
  const prefix = `@${base}/`;
  const names = new Set<string>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const path = line.trim().split(/\s+/)[7];
    if (path?.startsWith(prefix)) names.add(path);
  }
  return [...names].sort();
}

/**
 * Waits up to `deadlineMs` for the app's abstract names to be gone; returns those still bound then. A process whose
 * main thread has exited already looks gone (a zombie) while its other threads are still exiting, and its sockets
 * close only with the last of them.
 */
export async function abstractSocketNamesLeft(base: string, deadlineMs = 5000): Promise<string[]> {
  const until = Date.now() + deadlineMs;
  let names = abstractSocketNames(base);
  while (names.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    names = abstractSocketNames(base);
  }
  return names;
}

/** The `cohort-*` entries of a directory (a run's private TMPDIR): socket directories left behind. */
export function socketDirectoriesIn(tmpdir: string): string[] {
  return readdirSync(tmpdir).filter((name) => name.startsWith('cohort-'));
}

/** The sockets in an app's socket directory ([] once it is gone). */
export function socketFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.sock'));
  } catch {
    return [];
  }
}
