import { posix } from 'node:path';
import { CohortError } from '../../common/errors.js';
import {
  chdirPreload,
  LAUNCH_DIR_VARIABLE,
  launchDir,
  WORKER_MARKER,
  withoutChdirPreload,
} from '../../process/worker-launch.js';
import type { Host, LaunchedProcess, LaunchRequest } from '../host.js';
import type { AgentConfig, AgentHello, LaunchSpec } from './agent-protocol.js';
import { AgentSession, type AgentCommand, type SessionOptions } from './agent-session.js';
import { agentSource } from './agent-source.js';
import type { RemoteTransport } from './remote-process.js';

/** Cohort's own variables, carried over from the spawner's environment (the rest describes this machine). */
const CARRIED_VARIABLES = [WORKER_MARKER, 'COHORT_RPC_SETTINGS'];

/** Where workers of an agent host run, as its options say (shared by `Hosts.ssh`, `Hosts.command`, `Hosts.slurm`). */
export interface AgentPlacementOptions {
  readonly nodePath?: string | undefined;
  readonly entry?: string | undefined;
  readonly cwd?: string | undefined;
}

/** What makes one launcher an agent host: how it runs the agent, and how its workers are reached. */
export interface AgentLauncher {
  /** The host's name, in messages: `ssh:me@build-1`. */
  readonly name: string;
  /** The launcher's name, in messages: `ssh`, `srun`, `kubectl`. */
  readonly launcherName: string;
  readonly transport: RemoteTransport;
  readonly placement: AgentPlacementOptions;
  /** One agent per worker (a Slurm job step each) rather than one shared by all of the host's workers. */
  readonly sessionPerWorker?: boolean;
  /** See `AgentConfig`. */
  readonly lineFlush?: boolean;
  readonly routeToVariable?: string;
  /**
   * The command that runs `agentArgv` (`node -e <agent> <config>`) there. It may take time (a Slurm allocation);
   * it then honours `request.signal`, rejecting and leaving nothing behind when it is aborted.
   */
  command(agentArgv: readonly string[], request: LaunchRequest): AgentCommand | Promise<AgentCommand>;
  /** Where the spawner connects to TCP workers and where they listen, once the agent has said where it runs. */
  reach(hello: AgentHello): Promise<{ connectHost: string | undefined; listenHost: string }>;
  readonly startHint: SessionOptions['startHint'];
  readonly notFound?: string;
  readonly terminate?: SessionOptions['terminate'];
  readonly explainEnd?: SessionOptions['explainEnd'];
  /** Told of each session once its agent runs (Slurm records the step, to cancel it if all else fails). */
  onSession?(session: AgentSession, hello: AgentHello): void;
}

/**
 * A host whose workers an agent starts, on a machine reached through a launcher's stdin/stdout (agent-source.ts):
 * the agent and session code that `Hosts.ssh`, `Hosts.command` and `Hosts.slurm` share. One agent serves every
 * worker of the host (opened at its first spawn, closed once its last worker has exited), or one agent per worker.
 */
export class AgentHost implements Host {
  readonly name: string;
  private session: AgentSession | undefined;

  constructor(private readonly launcher: AgentLauncher) {
    this.name = launcher.name;
  }

  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    const { launcher } = this;
    if (request.detached && (launcher.transport === 'tunnel' || launcher.sessionPerWorker === true)) {
      throw new CohortError(
        'INVALID_ARGUMENT',
        `worker "${request.name}" on ${this.name}: shutdownOn 'shutdown-called' is not possible here: ` +
          (launcher.sessionPerWorker === true
            ? 'each worker runs in a job step that ends with its agent'
            : "with transport 'tunnel' the agent's channel, which ends with the spawner, is the only way to the worker"),
        { worker: request.name },
      );
    }
    let session: AgentSession;
    if (launcher.sessionPerWorker === true) {
      session = await this.openSession(request);
    } else {
      // Spawns at once share the one session: it is made without waiting (a shared launcher's command is ready).
      if (this.session === undefined || !this.session.usable) {
        const command = launcher.command(this.agentArgv(request), request);
        if (command instanceof Promise)
          throw new Error('Cohort: an agent host whose command takes time must have a session per worker');
        this.session = this.openSessionNow(command, request);
      }
      session = this.session;
    }
    return session.launch(this.launchSpec(request), request, async (hello) => {
      const reach = await launcher.reach(hello);
      // 'auto' with no address to try (a namespace or pod with loopback only): the tunnel, to a Unix socket there,
      // which needs no interface at all.
      const transport =
        launcher.transport === 'auto' && reach.connectHost === undefined ? 'tunnel' : launcher.transport;
      return { transport, ...reach };
    });
  }

  private agentArgv(request: LaunchRequest): string[] {
    const { launcher } = this;
    const config: AgentConfig = {
      heartbeat: request.heartbeat,
      ...(launcher.lineFlush === true ? { lineFlush: true } : {}),
      ...(launcher.routeToVariable === undefined ? {} : { routeToVariable: launcher.routeToVariable }),
    };
    return [launcher.placement.nodePath ?? 'node', '-e', agentSource, JSON.stringify(config)];
  }

  private async openSession(request: LaunchRequest): Promise<AgentSession> {
    return this.openSessionNow(await this.launcher.command(this.agentArgv(request), request), request);
  }

  private openSessionNow(command: AgentCommand, request: LaunchRequest): AgentSession {
    const { launcher } = this;
    const session = new AgentSession({
      hostName: this.name,
      launcherName: launcher.launcherName,
      command,
      heartbeat: request.heartbeat,
      startHint: launcher.startHint,
      ...(launcher.notFound === undefined ? {} : { notFound: launcher.notFound }),
      ...(launcher.terminate === undefined ? {} : { terminate: launcher.terminate }),
      ...(launcher.explainEnd === undefined ? {} : { explainEnd: launcher.explainEnd }),
      onIdle: (idle) => {
        if (this.session === idle) this.session = undefined;
        idle.close();
      },
    });
    if (launcher.onSession !== undefined) {
      const onSession = launcher.onSession.bind(launcher);
      void session.whenStarted().then(
        (hello) => onSession(session, hello),
        () => undefined,
      );
    }
    return session;
  }

  /** The same program, placed on the workers' machine as the options say. */
  private launchSpec(request: LaunchRequest): LaunchSpec {
    const { placement } = this.launcher;
    const startDir = placement.cwd ?? launchDir();
    const execArgv = withoutChdirPreload(request.execArgv);
    if (request.cwd !== undefined) {
      const target = posix.resolve(startDir, request.cwd);
      if (target !== startDir) execArgv.push(chdirPreload(target));
    }
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.spawnEnv ?? {})) if (value !== undefined) env[name] = value;
    for (const name of CARRIED_VARIABLES) {
      const value = request.env[name];
      if (value !== undefined) env[name] = value;
    }
    // The worker's own local workers start where it started, as on this machine.
    env[LAUNCH_DIR_VARIABLE] = startDir;
    return {
      execArgv,
      entry: placement.entry ?? request.entry,
      args: [...request.args],
      cwd: startDir,
      env,
      stdout: request.stdout === 'ignore' ? 'ignore' : 'pipe',
      detached: request.detached,
    };
  }
}
