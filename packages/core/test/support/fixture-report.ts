// The fixture side of fixture-runner.ts, imported by every fixture program at its top level (so that its workers,
// which re-run it, record themselves as they load): the run directory, its side-channel files, and the lines the
// test parses from stdout (`RESULT {json}` at the end, `<TAG> {json}` on the way).
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './processes.js';
import { PIDS_FILE, RUN_DIR_VARIABLE, type PidRecord } from './side-channel.mjs';

export { RUN_DIR_VARIABLE, type PidRecord };

const dir = process.env[RUN_DIR_VARIABLE];
if (dir === undefined)
  throw new Error(`fixtures need ${RUN_DIR_VARIABLE} (run them through test/support/fixture-runner.ts)`);
export const runDir: string = dir;

/** Appends a line to a file of the run directory (a side channel for workers that cannot answer). */
export function note(file: string, text: string): void {
  appendFileSync(join(runDir, file), `${text}\n`);
}

/** The lines of a file of the run directory so far. */
export function noted(file: string): string[] {
  try {
    return readFileSync(join(runDir, file), 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  } catch {
    return [];
  }
}

/** The workers that recorded themselves so far (side-channel.mjs). */
export function recordedWorkers(): PidRecord[] {
  return noted(PIDS_FILE)
    .map((line) => JSON.parse(line) as PidRecord)
    .filter((r) => r.role === 'worker');
}

/** Records a worker pid this master learnt of, so that the test proves it gone even if it died before recording itself. */
export function recordSpawned(pid: number): void {
  const record: PidRecord = { pid, ppid: process.pid, role: 'spawned' };
  note(PIDS_FILE, JSON.stringify(record));
}

/** What the test gave as `input` (fixture-runner.ts writes it as input.json). */
export function readInput<T>(): T {
  return JSON.parse(readFileSync(join(runDir, 'input.json'), 'utf8')) as T;
}

/** The pids among `workers` still alive now. */
export function stillAlive(workers: readonly { readonly pid: number }[]): number[] {
  return workers.map((w) => w.pid).filter(isAlive);
}

/** What `report(result, workers)` adds to the result. */
export interface Reported<W extends { readonly pid: number }> {
  /** The workers the fixture's operation started (the runner proves them gone too). */
  readonly workers: W[];
  /** Those still alive when the fixture reported: an operation that has settled must have stopped them all. */
  readonly aliveAfter: number[];
}

/** Prints the one line the test parses. Given the workers the fixture's operation started, adds them as `Reported`. */
export function report(result: Record<string, unknown>, workers?: readonly { readonly pid: number }[]): void {
  const reported = workers === undefined ? result : { ...result, workers, aliveAfter: stillAlive(workers) };
  process.stdout.write(`RESULT ${JSON.stringify(reported)}\n`);
}

/** Prints an intermediate line the test waits for (`<tag> {json}`). */
export function signal(tag: string, value: unknown): void {
  process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
}

export interface ErrorReport {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly remoteName?: string;
  readonly data?: unknown;
}

/** An error as plain JSON for the RESULT line. */
export function describeError(error: unknown): ErrorReport {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const fields = error as Error & { code?: unknown; remoteName?: unknown; data?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    ...(typeof fields.remoteName === 'string' ? { remoteName: fields.remoteName } : {}),
    ...(fields.data === undefined ? {} : { data: fields.data }),
  };
}

/** Runs `f` and returns its error (or null if it did not throw). */
export async function caught(f: () => Promise<unknown>): Promise<ErrorReport | null> {
  try {
    await f();
    return null;
  } catch (error) {
    return describeError(error);
  }
}
