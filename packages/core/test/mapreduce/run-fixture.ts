// Runs a fixture program (a MapReduce master) as a child process and checks that no worker it started survives.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { waitGone } from '../support/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const PID_DEADLINE_MS = 15_000;

export interface WorkerRecord {
  readonly def: string;
  readonly workerIndex: number;
  readonly pid: number;
  readonly param?: unknown;
}

/** What every fixture reports, plus its own fields. */
export interface FixtureResult {
  readonly workers: WorkerRecord[];
  /** Worker pids still alive when the fixture's map-reduce had finished (must be empty). */
  readonly aliveAfter: number[];
  readonly [key: string]: unknown;
}

export interface FixtureRun<R> {
  readonly result: R & FixtureResult;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export interface RunFixtureOptions {
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Written as `input.json` in the run's directory, whose path the fixture gets as MR_INPUT. */
  readonly input?: unknown;
  /** The whole run must end within this time (below vitest's 60 s test timeout, so that this helper reports). @default 40 000 */
  readonly timeoutMs?: number;
  /** Also returns the run directory's `mapped.log` lines (the Find definition's side channel). */
  readonly readMapLog?: boolean;
  /** A file name inside the run directory passed as MR_OUTPUT_FILE; its content is returned. */
  readonly outputFile?: string;
  /** Node flags for the master, before tsx's (its workers inherit them, as they inherit every flag). */
  readonly nodeArgs?: readonly string[];
}

function readRecords(dir: string): WorkerRecord[] {
  try {
    return readFileSync(join(dir, 'workers.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as WorkerRecord);
  } catch {
    return [];
  }
}

/**
 * Runs `fixtures/<name>.ts` under tsx, parses its `RESULT` line, and then checks that every worker pid it recorded
 * is gone (killing survivors by pid, and failing). Throws when the run times out or prints no result.
 */
export async function runFixture<R = Record<string, unknown>>(
  name: string,
  options: RunFixtureOptions = {},
): Promise<FixtureRun<R> & { mapLog: number[]; output: string | undefined }> {
  const dir = mkdtempSync(join(tmpdir(), `mr-${name}-`));
  const timeoutMs = options.timeoutMs ?? 40_000;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, MR_TEST_DIR: dir };
    if (options.input !== undefined) {
      env.MR_INPUT = join(dir, 'input.json');
      writeFileSync(env.MR_INPUT, JSON.stringify(options.input));
    }
    if (options.outputFile !== undefined) env.MR_OUTPUT_FILE = join(dir, options.outputFile);
    const began = performance.now();
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', join(here, 'fixtures', `${name}.ts`), ...(options.args ?? [])], {
      cwd: here,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    clearTimeout(timer);
    const elapsedMs = performance.now() - began;

    // Whatever happened, no worker may outlive its master: check every recorded pid, kill survivors by pid.
    const pids = readRecords(dir).map((r) => r.pid);
    const survivors = await waitGone(pids, PID_DEADLINE_MS);
    for (const pid of survivors) process.kill(pid, 'SIGKILL');
    const context = `fixture ${name} (exit ${code})\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`;
    if (survivors.length > 0) throw new Error(`worker pids ${survivors.join(', ')} outlived ${context}`);
    if (timedOut) throw new Error(`timed out after ${timeoutMs} ms: ${context}`);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (line === undefined) throw new Error(`no RESULT line from ${context}`);
    const result = JSON.parse(line.slice('RESULT '.length)) as R & FixtureResult;
    // The fixture's own report must list the same workers the side channel did.
    for (const w of result.workers) if (!pids.includes(w.pid)) throw new Error(`pid ${w.pid} reported but not recorded`);
    const mapLog = options.readMapLog === true ? readMapLog(dir) : [];
    const output = options.outputFile === undefined ? undefined : readOptional(join(dir, options.outputFile));
    return { result, code, stdout, stderr, elapsedMs, mapLog, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readMapLog(dir: string): number[] {
  const text = readOptional(join(dir, 'mapped.log')) ?? '';
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
}
