// Runs a scheduler fixture (fixtures/master.ts with a scenario) as a child process under tsx and proves afterwards
// that no process it started survives: the pids workers recorded themselves, those the scheduler reported, and
// the fixture's children sampled while it ran.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SchedulerWorkerInfo } from '../../src/index.js';
import { childPids, waitGone } from '../support/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const PID_DEADLINE_MS = 15_000;
const SAMPLE_EVERY_MS = 50;

/** What every scenario reports, plus its own fields. */
export interface FixtureResult {
  readonly workers: SchedulerWorkerInfo[];
  /** Worker pids still alive when the scenario ended (must be empty). */
  readonly aliveAfter: number[];
}

export interface FixtureRun<R> {
  readonly result: R & FixtureResult;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
  /** Every pid the run started (workers), all checked gone. */
  readonly pids: number[];
}

/** A fixture master still running, for tests that act on it (signal it) while it runs. */
export class LiveFixture {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly closed: Promise<number | null>;
  private readonly sampled = new Set<number>();
  private readonly sampler: NodeJS.Timeout;
  private readonly lineWaiters: { prefix: string; resolve: (line: string) => void }[] = [];

  constructor(
    readonly dir: string,
    scenario: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'master.ts'), scenario, ...args], {
      cwd: here,
      env: { ...process.env, ...env, SCHED_TEST_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.checkLines();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.closed = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
    this.sampler = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    void this.closed.then(() => clearInterval(this.sampler));
  }

  /** Resolves with the first stdout line starting with `prefix` (now or later). */
  line(prefix: string): Promise<string> {
    return new Promise((resolve) => {
      this.lineWaiters.push({ prefix, resolve });
      this.checkLines();
    });
  }

  /** Every pid the fixture started, as far as known: recorded by the workers themselves, and sampled children. */
  pids(): number[] {
    this.sample();
    let recorded: number[] = [];
    try {
      recorded = readFileSync(join(this.dir, 'pids.log'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      // No worker started.
    }
    return [...new Set([...recorded, ...this.sampled])];
  }

  describe(): string {
    return `--- stdout\n${this.stdout.slice(-6000)}\n--- stderr\n${this.stderr.slice(-6000)}`;
  }

  private sample(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const child of childPids(pid)) this.sampled.add(child);
  }

  private checkLines(): void {
    const lines = this.stdout.split('\n');
    for (const waiter of [...this.lineWaiters]) {
      const found = lines.find((l) => l.startsWith(waiter.prefix));
      if (found === undefined) continue;
      this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
      waiter.resolve(found);
    }
  }
}

export function startFixture(scenario: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): LiveFixture {
  return new LiveFixture(mkdtempSync(join(tmpdir(), `sched-${scenario}-`)), scenario, args, env);
}

/**
 * Waits for every pid the fixture started to be gone (killing survivors by pid), removes its directory, and
 * throws naming the survivors. Returns the pids checked.
 */
export async function expectFixtureGone(fixture: LiveFixture, extra: readonly number[] = []): Promise<number[]> {
  const pids = [...new Set([...fixture.pids(), ...extra])];
  const survivors = await waitGone(pids, PID_DEADLINE_MS);
  for (const pid of survivors) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
  rmSync(fixture.dir, { recursive: true, force: true });
  if (survivors.length > 0) throw new Error(`worker pids ${survivors.join(', ')} outlived their fixture\n${fixture.describe()}`);
  return pids;
}

export interface RunFixtureOptions {
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** The whole run must end within this time (below vitest's 60 s test timeout). @default 45 000 */
  readonly timeoutMs?: number;
}

/** Runs a scenario to its end, parses its `RESULT` line, and checks every pid it started is gone. */
export async function runFixture<R = Record<string, unknown>>(scenario: string, options: RunFixtureOptions = {}): Promise<FixtureRun<R>> {
  const began = performance.now();
  const fixture = startFixture(scenario, options.args, options.env);
  const timeoutMs = options.timeoutMs ?? 45_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    fixture.child.kill('SIGKILL');
  }, timeoutMs);
  const code = await fixture.closed;
  clearTimeout(timer);
  const elapsedMs = performance.now() - began;
  const line = fixture.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  const result = line === undefined ? undefined : (JSON.parse(line.slice('RESULT '.length)) as R & FixtureResult);
  const pids = await expectFixtureGone(fixture, result?.workers.map((w) => w.pid) ?? []);
  const context = `fixture ${scenario} (exit ${code})\n${fixture.describe()}`;
  if (timedOut) throw new Error(`timed out after ${timeoutMs} ms: ${context}`);
  if (result === undefined) throw new Error(`no RESULT line from ${context}`);
  if (code !== 0) throw new Error(`exit code ${code}: ${context}`);
  return { result, code, stdout: fixture.stdout, stderr: fixture.stderr, elapsedMs, pids };
}
