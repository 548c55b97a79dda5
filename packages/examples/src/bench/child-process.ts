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
  /** Closes the child's stdin (its cue to exit); SIGKILLs it if it has not exited after a grace period. */
  stop(): Promise<void>;
}

/**
 * Extra node flags for the children. `BENCH_CPU_PROF_DIR=/tmp/prof` writes a `.cpuprofile` per server process
 * there (open it in Chrome DevTools or speedscope) to see where the serving side spends its time.
 */
function childExecArgv(): string[] {
  const profileDir = process.env['BENCH_CPU_PROF_DIR'];
  return profileDir === undefined || profileDir === '' ? [...process.execArgv] : [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
}

/** Starts `script` (a module next to the bench) and resolves once it prints its ready line. */
export async function startServer(script: URL, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...childExecArgv(), fileURLToPath(script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForReady(child, script);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return { pid: child.pid!, stop };
}

async function waitForReady(child: ChildProcess, script: URL): Promise<void> {
  const stdout = child.stdout!;
  stdout.setEncoding('utf8');
  let seen = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (text: string): void => {
      seen += text;
      if (seen.split('\n').includes(READY_LINE)) {
        stdout.off('data', onData);
        // Keep draining, so a chatty child never blocks on a full pipe.
        stdout.resume();
        resolve();
      }
    };
    stdout.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`bench server ${fileURLToPath(script)} exited before it was ready (code ${code}, signal ${signal})`)),
    );
    child.once('error', reject);
  });
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench server ${fileURLToPath(script)} not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
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
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping the servers\n`);
      killAllServers();
      process.exit(status);
    });
  }
}
