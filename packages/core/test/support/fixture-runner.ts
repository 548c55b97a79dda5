// Runs a fixture program (a Cohort master) as a child process and proves afterwards that no process of the run is
// alive. The fixture side is fixture-report.ts. A fixture is named `<area>/<file>`: test/<area>/fixtures/<file>, run
// from test/<area>: compiled to JavaScript with src/ (see compile-fixtures.ts) under plain node, as a user's built
// program would be; from its TypeScript source under `node --import tsx` when asked (`tsx: true`); or as it is when it
// is JavaScript already (`.mjs`, importing dist/).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR_VARIABLE } from './build-dir.js';
import { childPids, expectAllGone, isTsxCompiler, processesWithEnv } from './processes.js';
import { EXITS_FILE, PIDS_FILE, RUN_DIR_VARIABLE, type PidRecord } from './side-channel.mjs';
import { skipReason, sshTarget } from './test-sshd.js';

const testDir = dirname(dirname(fileURLToPath(import.meta.url)));
const GONE_DEADLINE_MS = 15_000;
const SAMPLE_EVERY_MS = 50;
const DEFAULT_TIMEOUT_MS = 45_000;

export interface FixtureOptions {
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Added to the environment. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The master is SIGKILLed (and the run fails) past this: below vitest's 60 s test timeout, so that this reports.
   * @default 45 000
   */
  readonly timeoutMs?: number;
  /** Starts the master in its own process group (as a shell does), for Ctrl-C tests. */
  readonly detached?: boolean;
  /** Node flags for the master (before the loader), e.g. `--expose-gc`. */
  readonly nodeArgs?: readonly string[];
  /**
   * Points TMPDIR at the run directory, so the app's socket directory is created (and must be removed) there.
   * Off by default: tsx keeps its compile cache in TMPDIR, and a cold cache slows every start.
   */
  readonly privateTmp?: boolean;
  /** Written as input.json in the run directory (the fixture reads it with readInput()). */
  readonly input?: unknown;
  /** Files of the run directory to read before it is removed, returned in `files`. */
  readonly keepFiles?: readonly string[];
  /**
   * Workers over ssh on the test sshd (whose destination the fixture gets as REMOTE_SSH_DESTINATION and
   * REMOTE_SSH_ARGS). The parents the workers record, the remote agents, are proven gone too.
   */
  readonly ssh?: boolean;
  /**
   * A command that runs the master (`node …` is appended to it), which must exec it so that the master keeps the
   * command's pid: e.g. `unshare` into a mount namespace (see `withoutBinSh`).
   */
  readonly wrap?: readonly string[];
  /**
   * Runs the fixture from its TypeScript source under `node --import tsx` (its workers too), not compiled: for what
   * tsx itself changes, or a fixture that edits its own source. @default false
   */
  readonly tsx?: boolean;
}

export interface FixtureEnd {
  /** The master's pid. */
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The workers that recorded themselves, and their pids. */
  readonly records: PidRecord[];
  readonly workerPids: number[];
  /** Every pid of the run but the master's, all proven gone. */
  readonly pids: number[];
  /** Exit codes of the workers that exited (rather than being killed by a signal), by pid. */
  readonly exits: Map<number, number>;
  /** The `keepFiles` of the run directory (undefined: not written). */
  readonly files: Record<string, string | undefined>;
  readonly elapsedMs: number;
}

export type FixtureRun<R> = FixtureEnd & { readonly result: R };

/**
 * How node runs a fixture: a `.mjs` as it is; a TypeScript one compiled (see compile-fixtures.ts), with source maps
 * so that its stack traces name its TypeScript lines, or from its source under tsx.
 */
function fixtureCommand(area: string, file: string, tsx: boolean): string[] {
  const source = join(testDir, area, 'fixtures', file);
  if (file.endsWith('.mjs')) return [source];
  const compiled = process.env[BUILD_DIR_VARIABLE];
  if (tsx || compiled === undefined) return ['--import', 'tsx', source];
  return ['--enable-source-maps', join(compiled, 'test', area, 'fixtures', file.replace(/\.ts$/, '.js'))];
}

/** A fixture master while it runs. */
export class RunningFixture {
  readonly child: ChildProcess;
  readonly dir: string;
  stdout = '';
  stderr = '';
  /** Resolves once the master has exited and its output is all in. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly began = performance.now();
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;
  /** The master's children seen while it ran: workers that neither recorded themselves nor carry the marker. */
  private readonly sampled = new Set<number>();

  constructor(
    readonly name: string,
    private readonly options: FixtureOptions,
  ) {
    const [area, file, ...rest] = name.split('/');
    if (area === undefined || file === undefined || rest.length > 0)
      throw new Error(`a fixture is <area>/<file>, not ${name}`);
    if (options.ssh === true && sshTarget === undefined) throw new Error(skipReason);
    const ssh = options.ssh === true ? sshTarget : undefined;
    this.dir = mkdtempSync(join(tmpdir(), `${area}-${file}-`));
    if (options.input !== undefined) writeFileSync(join(this.dir, 'input.json'), JSON.stringify(options.input));
    const nodeArgs = fixtureCommand(area, file, options.tsx === true);
    const command = [
      ...(options.wrap ?? []),
      process.execPath,
      ...(options.nodeArgs ?? []),
      ...nodeArgs,
      ...(options.args ?? []),
    ];
    this.child = spawn(command[0]!, command.slice(1), {
      cwd: join(testDir, area),
      env: {
        ...process.env,
        ...options.env,
        [RUN_DIR_VARIABLE]: this.dir,
        ...(options.privateTmp === true ? { TMPDIR: this.dir } : {}),
        ...(ssh === undefined ? {} : { REMOTE_SSH_DESTINATION: ssh.destination, REMOTE_SSH_ARGS: ssh.args }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached === true,
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.closed = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const sampler = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    void this.closed.then(() => clearInterval(sampler));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once the master has exited (its output may still be flowing). */
  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** The workers that recorded themselves so far. */
  records(): PidRecord[] {
    return this.pidRecords().filter((r) => r.role === 'worker');
  }

  /** Exit codes of the workers that have exited so far, by pid. */
  exits(): Map<number, number> {
    const entries = this.noted(EXITS_FILE).map((line) => JSON.parse(line) as { pid: number; code: number });
    return new Map(entries.map((e) => [e.pid, e.code]));
  }

  /** Lines of a side-channel file of the run directory. */
  noted(file: string): string[] {
    return (readOptional(join(this.dir, file)) ?? '').split('\n').filter((line) => line !== '');
  }

  /** Every live process carrying this run's marker: the master's side and, for ssh runs, the remote side. */
  processes(): number[] {
    return processesWithEnv(`${RUN_DIR_VARIABLE}=${this.dir}`);
  }

  /** The live processes this run's spawns started: every process of the run but the master and its tsx compiler. */
  spawned(): number[] {
    return this.processes().filter((pid) => pid !== this.pid && !isTsxCompiler(pid, this.pid));
  }

  /** Waits for the master to print `<tag> {json}` and returns the parsed value. */
  async waitFor<T>(tag: string, deadlineMs = 30_000): Promise<T> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const value = tagged<T>(this.stdout, tag);
      if (value !== undefined) return value;
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
   * Waits for the master to end, then proves every process of the run gone (killing survivors by pid, and failing):
   * the master, the pids of the side channel, the master's children seen while it ran, the workers its RESULT line
   * reports, and any process carrying the run's marker (which finds those that never got to record themselves: a
   * spare still starting, a worker whose node refused a flag, a remote agent). Removes the run directory.
   */
  async finish(): Promise<FixtureEnd> {
    const { code, signal } = await this.closed;
    clearTimeout(this.timer);
    const elapsedMs = performance.now() - this.began;
    const inSideChannel = this.pidRecords().map((r) => r.pid);
    const records = this.records();
    const reported = reportedPids(this.stdout);
    const agents = this.options.ssh === true ? records.map((r) => r.ppid) : [];
    const pids = [...new Set([...inSideChannel, ...agents, ...this.sampled, ...reported, ...this.processes()])].filter(
      (pid) => pid !== this.pid,
    );
    let exits = new Map<number, number>();
    const files: Record<string, string | undefined> = {};
    try {
      await expectAllGone([this.pid, ...pids], GONE_DEADLINE_MS, `${this.describe()}\n`);
      exits = this.exits();
      for (const file of this.options.keepFiles ?? []) files[file] = readOptional(join(this.dir, file));
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
    if (this.timedOut)
      throw new Error(`timed out after ${this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms: ${this.describe()}`);
    // A worker the fixture knows of but the side channel missed: the proof above may have missed others like it.
    const unrecorded = reported.filter((pid) => !inSideChannel.includes(pid));
    if (unrecorded.length > 0)
      throw new Error(`worker pids ${unrecorded.join(', ')} reported but never recorded: ${this.describe()}`);
    const workerPids = [...new Set(records.map((r) => r.pid))];
    return {
      pid: this.pid,
      code,
      signal,
      stdout: this.stdout,
      stderr: this.stderr,
      records,
      workerPids,
      pids,
      exits,
      files,
      elapsedMs,
    };
  }

  /**
   * Runs `body` (a test's steps while the master runs); if it throws (an assertion failed, a line never came), the
   * master is SIGKILLed (its group with `detached`) and every process of the run proven gone before the error goes
   * on: a failed test must not leave a master waiting for a step that will never come, nor its workers.
   */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      try {
        process.kill(this.options.detached === true ? -this.pid : this.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
      await this.finish().catch(() => undefined);
      throw error;
    }
  }

  describe(): string {
    return `fixture ${this.name} (pid ${this.pid})\n--- stdout\n${this.stdout.slice(-4000)}\n--- stderr\n${this.stderr.slice(-4000)}`;
  }

  private pidRecords(): PidRecord[] {
    return this.noted(PIDS_FILE).map((line) => JSON.parse(line) as PidRecord);
  }

  private sample(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const child of childPids(this.pid)) this.sampled.add(child);
  }
}

export function startFixture(name: string, options: FixtureOptions = {}): RunningFixture {
  return new RunningFixture(name, options);
}

/**
 * Runs a fixture to its end, which must be exit code 0 with a RESULT line; returns that line parsed, after proving
 * every process of the run gone.
 */
export async function runFixture<R>(name: string, options: FixtureOptions = {}): Promise<FixtureRun<R>> {
  const run = startFixture(name, options);
  const end = await run.finish();
  const result = tagged<R>(end.stdout, 'RESULT');
  if (result === undefined) throw new Error(`no RESULT line from ${run.describe()}`);
  if (end.code !== 0) throw new Error(`exit code ${end.code} (signal ${end.signal}) from ${run.describe()}`);
  return { ...end, result };
}

/** The pids of the workers a RESULT line reports (fixture-report.ts's `Reported`). */
function reportedPids(stdout: string): number[] {
  const workers = tagged<{ workers?: unknown }>(stdout, 'RESULT')?.workers;
  if (!Array.isArray(workers)) return [];
  return workers.flatMap((w: { pid?: unknown } | null) => (typeof w?.pid === 'number' ? [w.pid] : []));
}

/** The value of the first `<tag> {json}` line of `output` (complete lines only: the master may be mid-write). */
function tagged<T>(output: string, tag: string): T | undefined {
  const line = output
    .split('\n')
    .slice(0, -1)
    .find((l) => l.startsWith(`${tag} `));
  return line === undefined ? undefined : (JSON.parse(line.slice(tag.length + 1)) as T);
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
