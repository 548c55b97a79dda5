// Runs a fixture program (a Parallel master) as a child process, and proves afterwards that neither it nor any
// worker it started is still alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectAllGone, processesWithEnv } from '../support/processes.js';
import type { PidRecord } from './fixtures/side-channel.js';

const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, 'fixtures');
const GONE_DEADLINE_MS = 15_000;

export interface FixtureOptions {
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Added to the environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** The run is killed (and the test fails) past this. @default 40 000 */
  readonly timeoutMs?: number;
  /** Starts the master in its own process group (as a shell does), for Ctrl-C tests. */
  readonly detached?: boolean;
  /**
   * Points TMPDIR at the run directory, so the app's socket directory is created (and must be removed) there.
   * Off by default: tsx keeps its compile cache in TMPDIR, and a cold cache slows every start.
   */
  readonly privateTmp?: boolean;
}

export interface FixtureEnd {
  /** The master's pid. */
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every worker pid the run recorded (in the side channel). */
  readonly workerPids: number[];
  readonly records: PidRecord[];
  /** Exit codes of the workers that exited (rather than being killed by a signal), by pid. */
  readonly exits: Map<number, number>;
  readonly elapsedMs: number;
}

/** A fixture master while it runs. */
export class RunningFixture {
  readonly child: ChildProcess;
  readonly dir: string;
  stdout = '';
  stderr = '';
  private readonly began = performance.now();
  private readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;

  constructor(
    readonly name: string,
    options: FixtureOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `par-${name}-`));
    const script = join(fixturesDir, name);
    // `.mjs` fixtures are compiled JS (they import dist/); the rest run under tsx, as a user's TS program would.
    const nodeArgs = name.endsWith('.mjs') ? [script] : ['--import', 'tsx', script];
    this.child = spawn(process.execPath, [...nodeArgs, ...(options.args ?? [])], {
      cwd: here,
      env: { ...process.env, ...options.env, PAR_TEST_DIR: this.dir, ...(options.privateTmp === true ? { TMPDIR: this.dir } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached === true,
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.ended = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    const timeoutMs = options.timeoutMs ?? 40_000;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once the master has exited (its output may still be flowing). */
  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Pids recorded in the side channel so far. */
  records(): PidRecord[] {
    try {
      return readFileSync(join(this.dir, 'pids.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as PidRecord);
    } catch {
      return [];
    }
  }

  /** Exit codes of the workers that have exited so far, by pid. */
  exits(): Map<number, number> {
    const entries = this.noted('exits.jsonl').map((line) => JSON.parse(line) as { pid: number; code: number });
    return new Map(entries.map((e) => [e.pid, e.code]));
  }

  /** Lines of a side-channel file of the run directory. */
  noted(file: string): string[] {
    try {
      return readFileSync(join(this.dir, file), 'utf8').split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
  }

  /** Waits for the master to print `<tag> {json}` and returns the parsed value. */
  async waitFor<T>(tag: string, deadlineMs = 30_000): Promise<T> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const line = this.stdout.split('\n').find((l) => l.startsWith(`${tag} `));
      if (line !== undefined) return JSON.parse(line.slice(tag.length + 1)) as T;
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > until) {
        throw new Error(`no ${tag} line from ${this.describe()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits until a side-channel file has at least `count` lines. */
  async waitNoted(file: string, count = 1, deadlineMs = 30_000): Promise<string[]> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const lines = this.noted(file);
      if (lines.length >= count) return lines;
      if (Date.now() > until) throw new Error(`${file} has ${lines.length} lines, not ${count}: ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Waits for the master to end, then checks that it and every recorded worker are gone (killing survivors by
   * pid, and failing). Removes the run directory.
   */
  async finish(): Promise<FixtureEnd> {
    const { code, signal } = await this.ended;
    clearTimeout(this.timer);
    const elapsedMs = performance.now() - this.began;
    const records = this.records();
    const workerPids = records.filter((r) => r.role === 'worker').map((r) => r.pid);
    let exits = new Map<number, number>();
    try {
      // Recorded pids, plus any process that carries this run's directory in its environment: that catches the
      // processes that never got to record themselves (a spare still starting, a worker whose node refused a flag).
      const strays = processesWithEnv(`PAR_TEST_DIR=${this.dir}`).filter((pid) => pid !== this.pid && !workerPids.includes(pid));
      await expectAllGone([this.pid, ...workerPids, ...strays], GONE_DEADLINE_MS, `${this.describe()}\n`);
      exits = this.exits();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
    if (this.timedOut) throw new Error(`timed out: ${this.describe()}`);
    return { pid: this.pid, code, signal, stdout: this.stdout, stderr: this.stderr, workerPids, records, exits, elapsedMs };
  }

  describe(): string {
    return `fixture ${this.name} (pid ${this.pid})\n--- stdout\n${this.stdout.slice(-4000)}\n--- stderr\n${this.stderr.slice(-4000)}`;
  }
}


export function startFixture(name: string, options: FixtureOptions = {}): RunningFixture {
  return new RunningFixture(name, options);
}

/** Runs a fixture to its end; returns its RESULT line parsed, after proving every process of the run gone. */
export async function runFixture<R>(name: string, options: FixtureOptions = {}): Promise<FixtureEnd & { result: R }> {
  const run = startFixture(name, options);
  const end = await run.finish();
  const line = end.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no RESULT line from ${run.describe()}`);
  return { ...end, result: JSON.parse(line.slice('RESULT '.length)) as R };
}
