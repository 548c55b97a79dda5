// Runs the make-build example as a real child process (node with tsx, stdout a pipe so its output is plain lines)
// and proves afterwards that none of the processes it started is alive: the worker pids it printed from
// onWorkerSpawn, and its children sampled while it ran.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childPids, expectAllGone } from '../../../core/test/support/processes.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(examples, 'src', 'make-build', 'main.ts');
const SAMPLE_EVERY_MS = 50;

export interface BuildEvent {
  readonly kind: string;
  readonly text: string;
  /** Its index in `lines`, to compare orders. */
  readonly line: number;
}

export interface ExampleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly string[];
  /** The stamped lines: `[ 1.2 s] built   link → …`. */
  readonly events: readonly BuildEvent[];
  /** Worker pids the example printed ("worker N up, pid P"). */
  readonly workerPids: readonly number[];
  /** Every pid checked gone afterwards (printed and sampled). */
  readonly checkedPids: readonly number[];
}

export async function runMakeBuild(args: readonly string[], timeoutMs = 60_000): Promise<ExampleRun> {
  const env = { ...process.env };
  delete env['CI'];
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: examples, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const sampled = new Set<number>();
  const sample = (): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) for (const pid of childPids(child.pid)) sampled.add(pid);
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(sampler);
  clearTimeout(killer);

  const lines = stdout.split('\n');
  const workerPids = lines.flatMap((l) => /\] worker\s+worker \d+ up, pid (\d+)$/.exec(l)?.[1] ?? []).map(Number);
  const checkedPids = [...new Set([...workerPids, ...sampled])];
  await expectAllGone(checkedPids, 15_000, 'make-build worker');
  if (timedOut) throw new Error(`make-build ${args.join(' ')} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`);
  const events = lines.flatMap((l, line) => {
    const match = /^\[\s*[\d.]+ s\] (\S+)\s+(.*)$/.exec(l);
    return match === null ? [] : [{ kind: match[1]!, text: match[2]!, line }];
  });
  return { code, stdout, stderr, lines, events, workerPids, checkedPids };
}
