import type { Duplex } from 'node:stream';
import type { ExitStatus } from '../process/exit-status.js';
import type { OutputOption } from '../process/output.js';

/** What a launcher is asked to run: the spawner's own program, re-run as a worker. */
export interface LaunchRequest {
  /** The Node.js binary (`process.execPath` for local workers). */
  readonly execPath: string;
  /** Node flags (`process.execArgv` plus the spawn's `execArgv`), so loaders such as tsx carry over. */
  readonly execArgv: readonly string[];
  /** The entry script to re-run. */
  readonly entry: string;
  /** The program's own arguments. */
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  /** The environment, already including Cohort's worker marker. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: OutputOption | undefined;
  readonly stderr: OutputOption | undefined;
  /** The worker's name, for output prefixes and messages. */
  readonly name: string;
}

/** A launched worker process, as the spawner sees it. */
export interface LaunchedProcess {
  readonly pid: number;
  /** Carries the bootstrap (with the secret) to the worker, and its ready/failure reports back. */
  readonly control: Duplex;
  /** Resolves once when the process has ended. */
  readonly exited: Promise<ExitStatus>;
  kill(signal?: NodeJS.Signals): void;
  /** Where the worker should listen: a Unix socket beside its spawner, or TCP for workers on other machines. */
  readonly transport: 'unix' | 'tcp';
  /** For TCP: the host name the spawner connects to. */
  readonly connectHost?: string;
  /** The last lines the process wrote to stderr, for spawn error messages. */
  stderrTail(): string;
  /** Releases the spawner-side handles (pipes) once the process has exited. */
  release(): void;
  /** Renames the process in output prefixes (a spare worker taken by a spawn gets the spawn's name). */
  rename?(name: string): void;
  /**
   * Whether the process keeps the spawner's event loop alive. Spare workers don't (a program may end while
   * spares wait); adopted workers do, like any child with work to do.
   */
  hold?(held: boolean): void;
}

/**
 * Where workers run. `Hosts.local()` (the default) starts a child process; other launchers (ssh, containers,
 * cluster schedulers) implement the same interface without touching the core.
 */
export interface Host {
  /** Shown in messages, e.g. `local` or `ssh:user@host`. */
  readonly name: string;
  launch(request: LaunchRequest): Promise<LaunchedProcess>;
}
