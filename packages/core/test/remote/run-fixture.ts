// Runs a remote fixture (a master whose workers run over ssh on the test sshd, that is on this same machine) as a
// child process, and proves afterwards that none of its processes is alive: the master, its ssh clients, the
// remote agent and the remote workers, all found by the run directory in their environment (the master's and the
// ssh clients' PAR_TEST_DIR, the remote session's COHORT_TEST_RUN_DIR) and in the side channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PidRecord } from '../parallel/fixtures/side-channel.js';
import { expectAllGone, isTsxCompiler } from '../support/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const GONE_DEADLINE_MS = 15_000;

/** The test sshd, as .ci/setup-sshd describes it; undefined (tests skipped) without it. */
export const sshTarget =
  process.env.COHORT_TEST_SSH_DESTINATION === undefined
    ? undefined
    : { destination: process.env.COHORT_TEST_SSH_DESTINATION, args: process.env.COHORT_TEST_SSH_ARGS ?? '[]' };
export const skipReason =
  'remote-worker tests need an sshd: run `eval "$(.ci/setup-sshd)"` first (sets COHORT_TEST_SSH_DESTINATION and COHORT_TEST_SSH_ARGS)';

export interface RemoteFixtureOptions {
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** @default 40 000 */
  readonly timeoutMs?: number;
}

export class RemoteRun {
  readonly child: ChildProcess;
  readonly dir: string;
  stdout = '';
  stderr = '';
  private readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;

  constructor(
    readonly name: string,
    options: RemoteFixtureOptions,
  ) {
    if (sshTarget === undefined) throw new Error(skipReason);
    this.dir = mkdtempSync(join(tmpdir(), `remote-${name}-`));
    this.child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', name), ...(options.args ?? [])], {
      cwd: here,
      env: { ...process.env, ...options.env, PAR_TEST_DIR: this.dir, REMOTE_SSH_DESTINATION: sshTarget.destination, REMOTE_SSH_ARGS: sshTarget.args },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.ended = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, options.timeoutMs ?? 40_000);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Worker records of the side channel (each worker's pid, and its parent: the remote agent). */
  records(): PidRecord[] {
    return this.noted('pids.jsonl').map((line) => JSON.parse(line) as PidRecord);
  }

  /** Exit codes of the workers that exited by themselves, by pid. */
  exits(): Map<number, number> {
    return new Map(this.noted('exits.jsonl').map((line) => JSON.parse(line) as { pid: number; code: number }).map((e) => [e.pid, e.code]));
  }

  noted(file: string): string[] {
    try {
      return readFileSync(join(this.dir, file), 'utf8').split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
  }

  /** Every live process of this run: the master's side and the remote side. */
  processes(): number[] {
    return processesWithEnv([`PAR_TEST_DIR=${this.dir}`, `COHORT_TEST_RUN_DIR=${this.dir}`]);
  }

  /**
   * The live processes this run's spawns started: every process of the run but the master and its tsx compiler
   * (see childPids in support/processes.ts).
   */
  spawned(): number[] {
    return this.processes().filter((pid) => pid !== this.pid && !isTsxCompiler(pid, this.pid));
  }

  /** Waits for the master to print `<tag> {json}`. */
  async waitFor<T>(tag: string, deadlineMs = 30_000): Promise<T> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const line = this.stdout.split('\n').find((l) => l.startsWith(`${tag} `));
      if (line !== undefined) return JSON.parse(line.slice(tag.length + 1)) as T;
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > until) throw new Error(`no ${tag} line from ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async waitNoted(file: string, count = 1, deadlineMs = 30_000): Promise<string[]> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const lines = this.noted(file);
      if (lines.length >= count) return lines;
      if (Date.now() > until) throw new Error(`${file} has ${lines.length} lines, not ${count}: ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for the master to end, then proves every process of the run gone (killing survivors, and failing). */
  async finish(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; records: PidRecord[]; exits: Map<number, number> }> {
    const { code, signal } = await this.ended;
    clearTimeout(this.timer);
    const records = this.records();
    let exits = new Map<number, number>();
    try {
      const recorded = records.flatMap((r) => [r.pid, r.ppid]);
      await expectAllGone([...new Set([this.pid, ...recorded, ...this.processes()])], GONE_DEADLINE_MS, `${this.describe()}\n`);
      exits = this.exits();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
    if (this.timedOut) throw new Error(`timed out: ${this.describe()}`);
    return { code, signal, stdout: this.stdout, stderr: this.stderr, records, exits };
  }

  describe(): string {
    return `remote fixture ${this.name} (pid ${this.pid})\n--- stdout\n${this.stdout.slice(-4000)}\n--- stderr\n${this.stderr.slice(-4000)}`;
  }
}

/** Pids of the live processes whose initial environment holds one of `entries` (`NAME=value`). */
export function processesWithEnv(entries: readonly string[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (entries.some((entry) => environ.includes(entry))) pids.push(Number(name));
    } catch {
      // Gone, or another user's.
    }
  }
  return pids;
}

export function startRemoteFixture(name: string, options: RemoteFixtureOptions = {}): RemoteRun {
  return new RemoteRun(name, options);
}

/** Runs a fixture to its end; returns its RESULT line parsed, after proving every process of the run gone. */
export async function runRemoteFixture<R>(name: string, options: RemoteFixtureOptions = {}): Promise<Awaited<ReturnType<RemoteRun['finish']>> & { result: R }> {
  const run = startRemoteFixture(name, options);
  const end = await run.finish();
  const line = end.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no RESULT line from ${run.describe()}`);
  return { ...end, result: JSON.parse(line.slice('RESULT '.length)) as R };
}
