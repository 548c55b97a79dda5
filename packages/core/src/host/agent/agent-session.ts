import type { ChildProcess } from 'node:child_process';
import { HeartbeatMonitor } from '@cohort/rpc/internal';
import { z } from 'zod';
import { CohortError } from '../../common/errors.js';
import { lazily } from '../../common/options.js';
import { showProcessStatus, statusFromShellCode } from '../../process/exit-status.js';
import { drained, forwardLines, keepTail } from '../../process/output.js';
import type { LaunchRequest } from '../host.js';
import {
  FRAME_HEADER_BYTES,
  FrameReader,
  frameHeader,
  Kind,
  TUNNEL_WINDOW_BYTES,
  type AgentHello,
  type Frame,
  type LaunchSpec,
  type TunnelOpenSpec,
} from './agent-protocol.js';
import { RemoteProcess, type RemoteTransport } from './remote-process.js';
import { TunnelStream } from './tunnel.js';
import { childProcess } from '../../common/builtins.js';

/** What the agent sends, checked (built on the first session: workers load this module too). */
const replies = lazily(() => ({
  hello: z.object({
    pid: z.number().int(),
    serverAddress: z.string().optional(),
    node: z.string(),
    hostname: z.string(),
    addresses: z.array(z.string()),
    routeAddress: z.string().optional(),
    socketBase: z.string(),
    slurm: z.object({ jobId: z.string(), stepId: z.string().optional(), node: z.string().optional() }).optional(),
  }),
  launched: z.object({ pid: z.number().int(), watched: z.boolean().optional() }),
  message: z.object({ message: z.string() }),
  bye: z.object({ why: z.string() }),
  exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }),
}));

/** How long a session told to close may take before its launcher is ended. */
const CLOSE_GRACE_MS = 5000;
/** How long the launcher has to end on SIGTERM before its process group is SIGKILLed. */
const TERM_GRACE_MS = 1000;
/** Frames smaller than this in total are merged into one write; bigger batches are written as they are (no copy). */
const MERGE_LIMIT = 64 * 1024;

/** How to run the agent: a command whose stdin/stdout reach the agent's (ssh, srun, kubectl exec -i…). */
export interface AgentCommand {
  readonly file: string;
  readonly args: readonly string[];
}

/** Where the workers of a session listen, and how the spawner reaches them. */
export interface SessionPlacement {
  readonly transport: RemoteTransport;
  /** For TCP: where the spawner connects (undefined: no address known, which a TCP transport reports). */
  readonly connectHost: string | undefined;
  readonly listenHost: string;
}

export interface SessionOptions {
  /** The host, in messages: `ssh:user@host`, `slurm:job 12`. */
  readonly hostName: string;
  /** The launcher's name, in messages: `ssh`, `srun`, `kubectl`. */
  readonly launcherName: string;
  readonly command: AgentCommand;
  readonly heartbeat: LaunchRequest['heartbeat'];
  /** What to add to a failed start's message (what the user should check). */
  readonly startHint: (detail: string) => string;
  /** The message when the launcher's binary is missing. */
  readonly notFound?: string;
  /** Called once when the session has no process left and no launch pending: the host then closes it. */
  readonly onIdle: (session: AgentSession) => void;
  /**
   * Ends the launcher and what it started; by default SIGTERM to its process group, then SIGKILL. (A launcher whose
   * SIGKILL would orphan its remote side, as srun's does, ends it its own way.)
   */
  readonly terminate?: (child: ChildProcess, hello: AgentHello | undefined) => void;
  /** The launcher's own words on why the session ended, from the tail of its stderr (default: its last lines). */
  readonly explainEnd?: (stderrTail: string) => string | undefined;
}

/**
 * One running agent on the workers' machine, reached through a child process (the launcher: ssh, srun, kubectl…):
 * starts workers there, relays their frames, and carries tunnelled connections to them. The session keeps the
 * program alive while a worker is being started or waited for, or a tunnelled call is in flight (as local worker
 * children and sockets do), and ends when its host closes it once idle, when the launcher exits, or when the agent
 * falls silent.
 */
export class AgentSession {
  private readonly child: ChildProcess;
  private readonly processes = new Map<number, RemoteProcess>();
  private readonly tunnels = new Map<number, TunnelStream>();
  private readonly reader = new FrameReader();
  private readonly heartbeat: HeartbeatMonitor | undefined;
  private readonly started: Promise<AgentHello>;
  private readonly launcherStderrTail: () => string;
  private resolveStarted!: (hello: AgentHello) => void;
  private rejectStarted!: (error: Error) => void;
  private hello: AgentHello | undefined;
  private lostWhy: string | undefined;
  /** What the agent said as it ended its workers (a signal, the spawner gone). */
  private byeWhy: string | undefined;
  private closing = false;
  private nextId = 1;
  private nextTunnelId = 1;
  private pending = 0;
  /** Processes and tunnels that keep the spawner alive: the session holds it while any does. */
  private readonly held = new Set<number>();
  private readonly heldTunnels = new Set<number>();
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private readonly endTurn = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  /** Resolves once the launcher process has exited. */
  readonly ended: Promise<void>;

  constructor(private readonly options: SessionOptions) {
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined);
    // In a process group of its own, so that ending the session ends what the launcher started too (a ssh
    // ProxyCommand, which ssh does not end when it is killed while connecting). A Ctrl-C in the terminal reaches
    // only the program: its exit closes the launcher's stdin, which ends the session and the remote workers.
    this.child = childProcess().spawn(options.command.file, [...options.command.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.launcherStderrTail = keepTail(this.child.stderr);
    this.child.stdin!.on('error', () => undefined);
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      const detail =
        error.code === 'ENOENT'
          ? (options.notFound ?? `${options.command.file} was not found (is it installed, and on the PATH?)`)
          : `cannot run ${options.command.file}: ${error.message}`;
      this.lose(detail);
    });
    this.ended = new Promise((resolve) => {
      this.child.once('error', () => resolve());
      this.child.once('exit', (code, signal) => {
        const status = code === null ? { code, signal } : statusFromShellCode(code);
        // Let stderr and stdout drain first: they say why (and may hold the last exit frames). On a loaded machine
        // that takes longer than one turn of the event loop; a ProxyCommand still holding them gets half a second.
        void Promise.all([drained(this.child.stderr, 500), drained(this.child.stdout, 500)]).then(() => {
          this.onChildExit(showProcessStatus(status), code);
          resolve();
        });
      });
    });
    const settings = options.heartbeat;
    this.heartbeat =
      settings === false
        ? undefined
        : new HeartbeatMonitor(
            settings.intervalMs,
            settings.timeoutMs,
            () => this.send(Kind.heartbeat, 0),
            (silentMs) =>
              this.lose(
                `no heartbeat from the agent on ${options.hostName} for ${Math.round(silentMs)} ms (network loss, or the machine is overloaded)`,
              ),
          );
  }

  /** Whether new launches may use this session. */
  get usable(): boolean {
    return this.lostWhy === undefined && !this.closing;
  }

  /** Resolves with the agent's hello once it runs (rejects if the session is lost first). */
  whenStarted(): Promise<AgentHello> {
    return this.started;
  }

  /**
   * Starts `spec` on the agent's machine; resolves once it runs there (its pid known). `placement` says, from the
   * agent's hello, where the worker listens and how it is reached.
   */
  async launch(
    spec: LaunchSpec,
    request: LaunchRequest,
    placement: (hello: AgentHello) => Promise<SessionPlacement>,
  ): Promise<RemoteProcess> {
    this.pending++;
    this.updateRef();
    const fail = (detail: string, code: 'SPAWN_FAILED' | 'SPAWN_TIMEOUT' = 'SPAWN_FAILED'): CohortError =>
      new CohortError(code, `could not start worker "${request.name}" on ${this.options.hostName}: ${detail}`, {
        worker: request.name,
      });
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void =>
        reject(
          fail(
            `no answer within the spawn's spawnTimeoutMs; raise it if ${this.options.hostName} is slow to reach`,
            'SPAWN_TIMEOUT',
          ),
        );
      if (request.signal?.aborted === true) onAbort();
      else request.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    let remote: RemoteProcess | undefined;
    try {
      const hello = await Promise.race([this.started, aborted]);
      const where = await Promise.race([placement(hello), aborted]);
      if (!this.usable) throw new Error(this.lostWhy ?? 'the session is closing');
      const id = this.nextId++;
      remote = new RemoteProcess(
        this,
        id,
        request.name,
        { stdout: request.stdout, stderr: request.stderr },
        { ...where, socketBase: hello.socketBase, hostName: this.options.hostName },
      );
      this.processes.set(id, remote);
      this.hold(id, true);
      void remote.exited.then(() => {
        this.processes.delete(id);
        this.checkIdle();
      });
      this.send(Kind.launch, id, Buffer.from(JSON.stringify(spec)));
      await Promise.race([remote.whenLaunched(), aborted]);
      return remote;
    } catch (error) {
      // Abandoned after the agent was asked: the process is killed as soon as it exists, and counted until gone.
      remote?.kill('SIGKILL');
      if (error instanceof CohortError) throw error;
      throw fail((error as Error).message);
    } finally {
      this.pending--;
      this.updateRef();
      this.checkIdle();
    }
  }

  /** Ends the session: the agent sees end-of-file (as when the spawner exits) and stops. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.heartbeat?.stop();
    if (this.hello === undefined) {
      this.terminate();
      return;
    }
    this.flush();
    this.child.stdin!.end();
    const timer = setTimeout(() => this.terminate(), CLOSE_GRACE_MS);
    this.child.once('exit', () => clearTimeout(timer));
  }

  /** Ends the launcher and whatever it started. */
  private terminate(): void {
    if (this.options.terminate !== undefined) {
      this.options.terminate(this.child, this.hello);
      return;
    }
    terminateGroup(this.child);
  }

  /** @hidden for RemoteProcess and TunnelStream: queues a frame; false once the session is gone. */
  send(kind: number, id: number, body?: Uint8Array): boolean {
    if (this.lostWhy !== undefined) return false;
    const stdin = this.child.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return false;
    const length = body === undefined ? 0 : body.length;
    this.queue.push(frameHeader(kind, id, length));
    if (length > 0) this.queue.push(body as Buffer);
    this.queuedBytes += FRAME_HEADER_BYTES + length;
    if (!this.flushScheduled) {
      // The first frame of a turn goes out at once (a tunnelled call waits for nothing); the rest of the turn's
      // frames are merged into one write when it ends.
      this.flushScheduled = true;
      setImmediate(this.endTurn);
      this.flush();
    }
    return true;
  }

  /** Writes the frames queued so far, in as few writes as possible. */
  private flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    const total = this.queuedBytes;
    this.queuedBytes = 0;
    const stdin = this.child.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return;
    if (total <= MERGE_LIMIT) {
      stdin.write(queue.length === 1 ? queue[0]! : Buffer.concat(queue, total));
      return;
    }
    stdin.cork();
    for (const chunk of queue) stdin.write(chunk);
    stdin.uncork();
  }

  /**
   * @hidden for RemoteProcess: a byte stream to `address` on the agent's machine (a worker's socket), carried by
   * this session. Failures (the agent cannot reach the socket, the session is lost) destroy the stream with why.
   */
  openTunnel(address: TunnelOpenSpec['address']): TunnelStream {
    const id = this.nextTunnelId++;
    const stream = new TunnelStream(
      {
        send: (kind, tunnelId, body) => this.send(kind, tunnelId, body),
        hold: (tunnelId, held) => {
          if (held) this.heldTunnels.add(tunnelId);
          else this.heldTunnels.delete(tunnelId);
          this.updateRef();
        },
        forget: (tunnelId) => {
          this.tunnels.delete(tunnelId);
          this.heldTunnels.delete(tunnelId);
          this.updateRef();
        },
      },
      id,
    );
    this.tunnels.set(id, stream);
    const spec: TunnelOpenSpec = { address, window: TUNNEL_WINDOW_BYTES };
    if (!this.send(Kind.tunnelOpen, id, Buffer.from(JSON.stringify(spec)))) {
      const why = this.lostWhy ?? 'the session is closed';
      process.nextTick(() => stream.onReset(`the tunnel through ${this.options.hostName} cannot open: ${why}`));
    }
    return stream;
  }

  /** @hidden for RemoteProcess: whether it keeps the spawner alive. */
  hold(id: number, held: boolean): void {
    if (held) this.held.add(id);
    else this.held.delete(id);
    this.updateRef();
  }

  /**
   * @hidden for RemoteProcess: why its workers may have ended, beyond their exit status: what the agent said as it
   * ended them, or why the session was lost, with the launcher's own last words.
   */
  explain(): string | undefined {
    const tail = this.launcherStderrTail();
    const launcherSays = (this.options.explainEnd ?? lastLines)(tail);
    const parts = [this.byeWhy ?? this.lostWhy, launcherSays].filter((p): p is string => p !== undefined && p !== '');
    return parts.length === 0 ? undefined : [...new Set(parts)].join('; ');
  }

  /** The last few KiB the launcher wrote to stderr. */
  launcherStderr(): string {
    return this.launcherStderrTail();
  }

  /** The launcher and its pipes keep this program alive only while a launch is pending, or a process or call held. */
  private updateRef(): void {
    const keep = this.pending > 0 || this.held.size > 0 || this.heldTunnels.size > 0;
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr]) {
      const refable = handle as { ref?: () => void; unref?: () => void } | null;
      if (keep) refable?.ref?.();
      else refable?.unref?.();
    }
  }

  private checkIdle(): void {
    if (this.pending === 0 && this.processes.size === 0 && !this.closing) this.options.onIdle(this);
  }

  private onData(chunk: Buffer): void {
    this.heartbeat?.received();
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.lose(
        `the agent's output is corrupt (${(error as Error).message}); is something on ${this.options.hostName} writing to stdout at ` +
          'login, or does the launcher give the agent a terminal that is not raw (kubectl exec -t, docker exec -t)?',
      );
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame({ kind, id, body }: Frame): void {
    if (kind >= Kind.tunnelData) return this.onTunnelFrame(kind, id, body);
    const json = (): unknown => JSON.parse(body.toString('utf8'));
    if (kind === Kind.hello) {
      const hello = replies().hello.safeParse(json());
      if (!hello.success) return this.lose('the agent sent a malformed hello');
      const { serverAddress, routeAddress, slurm } = hello.data;
      this.hello = {
        ...hello.data,
        serverAddress,
        routeAddress,
        slurm: slurm === undefined ? undefined : { jobId: slurm.jobId, stepId: slurm.stepId, node: slurm.node },
      };
      // From now on the launcher's own messages (and the agent's) are worth showing.
      forwardLines(this.child.stderr!, process.stderr, () => `[${this.options.hostName}] `);
      this.heartbeat?.start();
      this.resolveStarted(this.hello);
      return;
    }
    if (kind === Kind.agentHeartbeat || kind === Kind.pad) return;
    if (kind === Kind.bye) {
      this.byeWhy ??= replies().bye.safeParse(json()).data?.why;
      return;
    }
    if (kind === Kind.tunnelOpened) return;
    if (kind === Kind.tunnelFailed) {
      this.tunnels
        .get(id)
        ?.onReset(replies().message.safeParse(json()).data?.message ?? 'the agent could not open the tunnel');
      return;
    }
    const remote = this.processes.get(id);
    if (remote === undefined) return;
    if (kind === Kind.launched) {
      const launched = replies().launched.parse(json());
      remote.onLaunched(launched.pid, launched.watched === true);
    } else if (kind === Kind.launchFailed) remote.onLaunchFailed(new Error(replies().message.parse(json()).message));
    else if (kind === Kind.controlOut) remote.onControl(body);
    else if (kind === Kind.stdout) remote.onOutput('stdout', body);
    else if (kind === Kind.stderr) remote.onOutput('stderr', body);
    else if (kind === Kind.exit) {
      const status = replies().exit.parse(json());
      remote.onExit({ code: status.code, signal: status.signal as NodeJS.Signals | null });
    }
  }

  private onTunnelFrame(kind: number, id: number, body: Buffer): void {
    const tunnel = this.tunnels.get(id);
    if (tunnel === undefined) return;
    if (kind === Kind.tunnelData) tunnel.onData(body);
    else if (kind === Kind.tunnelCredit) tunnel.onCredit(body.readUInt32BE(0));
    else if (kind === Kind.tunnelEnd) tunnel.onEnd();
    else if (kind === Kind.tunnelReset)
      tunnel.onReset(
        replies().message.safeParse(JSON.parse(body.toString('utf8'))).data?.message ?? 'reset by the agent',
      );
  }

  private onChildExit(status: string, code: number | null): void {
    const tail = this.launcherStderrTail().trim();
    const launcher = this.options.launcherName;
    if (this.hello === undefined) {
      const detail =
        tail === ''
          ? `${launcher} ${status} before the agent started`
          : `${launcher} ${status} before the agent started: ${tail}`;
      this.lose(
        this.options.startHint(
          code === 127
            ? `${detail} (the ${launcher === 'ssh' ? 'remote shell' : 'launcher'} could not run node)`
            : detail,
        ),
      );
      return;
    }
    if (this.closing && this.processes.size === 0) return this.lose('the session was closed');
    const says = (this.options.explainEnd ?? lastLines)(tail);
    this.lose(
      `the ${launcher} session to ${this.options.hostName} ended (${launcher} ${status})${says === undefined ? '' : `: ${says}`}`,
    );
  }

  private lose(why: string): void {
    if (this.lostWhy !== undefined) return;
    this.lostWhy = why;
    this.heartbeat?.stop();
    this.terminate();
    this.rejectStarted(new Error(why));
    for (const remote of this.processes.values()) remote.onSessionLost(why);
    for (const tunnel of [...this.tunnels.values()])
      tunnel.onReset(`the tunnel through ${this.options.hostName} is gone: ${why}`);
  }
}

/** The last few lines of a launcher's stderr, on one line. */
function lastLines(tail: string): string | undefined {
  const lines = tail
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '');
  return lines.length === 0 ? undefined : lines.slice(-3).join(' / ');
}

/** Ends a launcher and whatever it started (its process group): SIGTERM, then SIGKILL. */
export function terminateGroup(child: ChildProcess, graceMs = TERM_GRACE_MS): void {
  const { pid } = child;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Gone already.
    }
  };
  signalGroup('SIGTERM');
  // Not unref'd and not cancelled by the launcher's exit: a ProxyCommand may outlive ssh in the group.
  setTimeout(() => signalGroup('SIGKILL'), graceMs);
}
