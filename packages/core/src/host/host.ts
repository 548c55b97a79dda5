import type { Duplex } from 'node:stream';
import type { Address } from '@cohort/rpc/internal';
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
  /**
   * The spawn's `env` option as given (`undefined` when the spawn set none). A launcher on another machine applies
   * only this over that machine's own environment: the spawner's `process.env` (PATH, HOME…) describes this one.
   */
  readonly spawnEnv: NodeJS.ProcessEnv | undefined;
  /**
   * Whether the worker is meant to outlive its spawner (`shutdownOn: 'shutdown-called'`): a launcher must then not
   * tie the worker's life to the spawner's.
   */
  readonly detached: boolean;
  /**
   * The spawn's RPC heartbeat settings: how often a launcher that reaches its worker over a network should prove
   * the spawner alive, and how long a silence means it is gone. `false`: only a closed channel counts.
   */
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | false;
  /** Aborted when the spawn gives up (its `spawnTimeoutMs` passed): the launcher rejects and leaves nothing behind. */
  readonly signal?: AbortSignal;
  readonly stdout: OutputOption | undefined;
  readonly stderr: OutputOption | undefined;
  /** The worker's name, for output prefixes and messages. */
  readonly name: string;
}

/** A launched worker process, as the spawner sees it. */
export interface LaunchedProcess {
  /** The process id on the machine it runs on. */
  readonly pid: number;
  /** Carries the bootstrap (with the secret) to the worker, and its ready/failure reports back. */
  readonly control: Duplex;
  /** Resolves once when the process has ended. */
  readonly exited: Promise<ExitStatus>;
  kill(signal?: NodeJS.Signals): void;
  /**
   * How the spawner reaches the worker: `'unix'`, a Unix socket beside its spawner; `'tcp'`, a port on the
   * worker's machine, connected to directly; `'tunnel'`, a Unix socket on the worker's machine, reached through the
   * launcher's own channel (`openTunnel`); `'auto'`, a TCP port, connected to directly if the spawner can, else
   * through `openTunnel` (decided once, before the first call).
   */
  readonly transport: 'unix' | 'tcp' | 'tunnel' | 'auto';
  /**
   * For TCP (`'tcp'`, `'auto'`): the host name or address the spawner (and other processes given a `WorkerRef`)
   * connects to; `undefined` when the launcher knows none (`'tcp'` then fails, `'auto'` tunnels).
   */
  readonly connectHost?: string | undefined;
  /** For TCP: the interface the worker listens on. @default '0.0.0.0' */
  readonly listenHost?: string;
  /** The host's name (`ssh:me@build-1`), for messages about reaching the worker. */
  readonly hostName?: string;
  /** For `'tunnel'`: the Unix socket the worker listens on, on its machine. */
  tunnelSocket?(workerId: string): string;
  /** For `'tunnel'` and `'auto'`: a byte stream to `address` on the worker's machine, through the launcher. */
  openTunnel?(address: Address): Duplex;
  /** Why the process may have ended, beyond its exit status (its job was cancelled, its launcher died), if known. */
  exitReason?(): string | undefined;
  /** The last lines the process wrote to stderr, for spawn error messages. */
  stderrTail(): string;
  /**
   * Whether something outside the worker (this process's watchdog, or on another machine its agent's) kills it if
   * it is stuck when its spawner dies; if not, the worker watches its lifeline from a thread of its own, which can
   * kill it.
   */
  readonly watched?: boolean;
  /** The worker is to outlive its spawner (a spare taken by a `'shutdown-called'` spawn): no watchdog ends it. */
  outliveSpawner?(): void;
  /** Releases the spawner-side handles (pipes) once the process has exited. */
  release(): void;
  /** Renames the process in output prefixes (a spare worker taken by a spawn gets the spawn's name). */
  rename?(name: string): void;
  /**
   * Whether the process keeps the spawner's event loop alive. A worker being started does; a ready one does not by
   * itself (a program whose workers sit idle ends, and its workers with it): its calls in flight, or someone waiting
   * for its exit, do.
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
