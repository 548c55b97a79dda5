import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Benchmark servers run in child processes. They are started with the same `process.execPath` and
// `process.execArgv` as this process (so tsx's loader carries over, exactly as Cohort's own spawn does), which
// means the baseline's server and Cohort's server are loaded and run the same way.
//
// No child may outlive the bench: each child exits when its stdin closes (which also happens when this process
// dies, even by SIGKILL), `stop()` kills it if it lingers, and SIGINT/SIGTERM/exit kill whatever is left.

const READY_LINE = 'ready';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 3_000;

const live = new Set<ChildProcess>();

export interface ServerProcess {
  readonly pid: number;
  /** Resolves when the child has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Writes one line to the child's stdin (the channel of a sampler process, see `sampler-process.ts`). */
  send(line: string): void;
  /** Closes the child's stdin (its cue to exit); SIGKILLs it if it has not exited after a grace period. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Receives every line the child prints on stdout but its ready line; without it they are dropped. */
  onLine?: (line: string) => void;
  /** Milliseconds between closing stdin and the SIGKILL. @default 3000 */
  stopTimeoutMs?: number;
}

/**
 * Extra node flags for the children. `BENCH_CPU_PROF_DIR=/tmp/prof` writes a `.cpuprofile` per server process
 * there (open it in Chrome DevTools or speedscope) to see where the serving side spends its time.
 */
function childExecArgv(): string[] {
  const profileDir = process.env['BENCH_CPU_PROF_DIR'];
  return profileDir === undefined || profileDir === ''
    ? [...process.execArgv]
    : [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
}

/** Starts `script` (a module next to the bench) and resolves once it prints its ready line. */
export async function startServer(
  script: URL,
  args: readonly string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...childExecArgv(), fileURLToPath(script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
  });
  // A child that dies while we write to it must not take the bench down with an EPIPE.
  child.stdin!.on('error', () => undefined);
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForReady(child, script, options.onLine);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return { pid: child.pid!, exited, send: (line) => void child.stdin!.write(`${line}\n`), stop };
}

async function waitForReady(
  child: ChildProcess,
  script: URL,
  onLine: ((line: string) => void) | undefined,
): Promise<void> {
  const stdout = child.stdout!;
  stdout.setEncoding('utf8');
  let pending = '';
  let isReady = false;
  const ready = new Promise<void>((resolve, reject) => {
    // Read to the end, so a chatty child never blocks on a full pipe.
    stdout.on('data', (text: string) => {
      pending += text;
      for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!isReady && line === READY_LINE) {
          isReady = true;
          resolve();
        } else onLine?.(line);
      }
    });
    child.once('exit', (code, signal) =>
      reject(
        new Error(`bench server ${fileURLToPath(script)} exited before it was ready (code ${code}, signal ${signal})`),
      ),
    );
    child.once('error', reject);
  });
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bench server ${fileURLToPath(script)} not ready within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    void ready.finally(() => clearTimeout(timer)).catch(() => undefined);
  });
  await Promise.race([ready, timeout]);
}

/** SIGKILLs every child still running. Synchronous, so it is safe in an `exit` handler. */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Makes Ctrl-C and SIGTERM take the children down too, then exit with the conventional status. */
export function killServersOnExit(): void {
  process.once('exit', killAllServers);
  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping the servers\n`);
      killAllServers();
      process.exit(status);
    });
  }
}
