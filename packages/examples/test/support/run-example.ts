// Runs one example as a real child process, through tsx as its README does, and proves afterwards that neither the
// example nor any process it started is still alive.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The pid checks of the core tests (a zombie counts as gone), shared rather than copied.
import { childPids, expectAllGone, processesWithEnv } from '../../../core/test/support/processes.js';

export const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Put in the example's environment; every worker inherits it, so a worker that outlives its spawner is still found. */
const RUN_MARKER = 'COHORT_EXAMPLE_RUN';
const POLL_MS = 25;
const GONE_DEADLINE_MS = 15_000;

export interface ExampleEnd {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout, one entry per line. */
  readonly lines: readonly string[];
  /** The worker pids the example printed (see `ExampleOptions.workerPids`). */
  readonly workerPids: readonly number[];
  /** Every process seen below the example while it ran, with the pid of its parent then. */
  readonly parents: ReadonlyMap<number, number>;
  /** Every pid proven gone after the run: the example, what was seen below it, what it printed, what carried its marker. */
  readonly checkedPids: readonly number[];
  /** The run's output, for failure messages. */
  describe(): string;
}

export interface ExampleOptions {
  /** The example's own arguments. */
  readonly args?: readonly string[];
  /** Replaces the inherited environment (the run marker is added to it). */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 90000 */
  readonly timeoutMs?: number;
  /** Reads the worker pids the example printed. @default the pids of its `worker pids: …` line */
  readonly workerPids?: (lines: readonly string[]) => number[];
}

function workerPidsLine(lines: readonly string[]): number[] {
  const line = lines.find((l) => l.startsWith('worker pids: '));
  return line?.slice('worker pids: '.length).split(' ').map(Number) ?? [];
}

/** Runs `src/<name>/main.ts` to its end, then fails if any process of the run is still alive. */
export async function runExample(name: string, options: ExampleOptions = {}): Promise<ExampleEnd> {
  const { args = [], env = process.env, timeoutMs = 90_000, workerPids: readPids = workerPidsLine } = options;
  const marker = `${RUN_MARKER}=${randomUUID()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', name, 'main.ts'), ...args], {
    cwd: examplesDir,
    env: { ...env, [RUN_MARKER]: marker.slice(RUN_MARKER.length + 1) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const describe = (): string =>
    `example ${name} (pid ${pid})\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`;

  // Workers that come and go are caught by watching the process tree while the example runs.
  const parents = new Map<number, number>();
  const watch = (): void => {
    const pending = [pid];
    for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
      for (const descendant of childPids(parent)) {
        if (!parents.has(descendant)) parents.set(descendant, parent);
        pending.push(descendant);
      }
    }
  };
  const watcher = setInterval(watch, POLL_MS);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal })),
  );
  clearInterval(watcher);
  clearTimeout(timer);

  const lines = stdout.split('\n');
  const workerPids = readPids(lines);
  // Re-parented processes are no longer below the example: its environment marker still finds them.
  const checkedPids = [...new Set([pid, ...parents.keys(), ...workerPids, ...processesWithEnv(marker)])];
  await expectAllGone(checkedPids, GONE_DEADLINE_MS, `${describe()}\n`);
  if (timedOut) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
  return { pid, code, signal, stdout, stderr, lines, workerPids, parents, checkedPids, describe };
}
