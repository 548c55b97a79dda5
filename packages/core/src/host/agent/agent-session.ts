import { spawn, type ChildProcess } from 'node:child_process';
import { HeartbeatMonitor } from '@cohort/rpc/internal';
import { z } from 'zod';
import { CohortError } from '../../common/errors.js';
import { showProcessStatus, statusFromShellCode } from '../../process/exit-status.js';
import { forwardLines, keepTail } from '../../process/output.js';
import type { LaunchRequest } from '../host.js';
import { encodeFrame, encodeJsonFrame, FrameReader, Kind, type AgentHello, type Frame, type LaunchSpec } from './agent-protocol.js';
import { RemoteProcess } from './remote-process.js';

const helloSchema = z.object({ pid: z.number().int(), serverAddress: z.string().optional(), node: z.string() });
const launchedSchema = z.object({ pid: z.number().int() });
const messageSchema = z.object({ message: z.string() });
const exitSchema = z.object({ code: z.number().int().nullable(), signal: z.string().nullable() });
/** How long a session told to close may take before its ssh client is killed. */
const CLOSE_GRACE_MS = 5000;
/** How long ssh has to end on SIGTERM before its process group is SIGKILLed. */
const TERM_GRACE_MS = 1000;

/** How to run the agent: a command whose stdin/stdout reach the agent's (ssh, or any other remote shell). */
export interface AgentCommand {
  readonly file: string;
  readonly args: readonly string[];
}

export interface SessionOptions {
  /** The host, in messages: `ssh:user@host`. */
  readonly hostName: string;
  readonly command: AgentCommand;
  readonly heartbeat: LaunchRequest['heartbeat'];
  /** What to add to a failed start's message (what the user should check). */
  readonly startHint: (detail: string) => string;
  /** Called once when the session has no process left and no launch pending: the host then closes it. */
  readonly onIdle: (session: AgentSession) => void;
}

/**
 * One running agent on another machine, reached through a child process (the ssh client): starts workers there
 * and relays their frames. The session keeps the program alive while a worker is being started or waited for (as
 * local worker children do), and ends when its host closes it once idle, when ssh exits, or when the agent falls
 * silent.
 */
export class AgentSession {
  private readonly child: ChildProcess;
  private readonly processes = new Map<number, RemoteProcess>();
  private readonly reader = new FrameReader();
  private readonly heartbeat: HeartbeatMonitor | undefined;
  private readonly started: Promise<AgentHello>;
  private readonly sshStderrTail: () => string;
  private resolveStarted!: (hello: AgentHello) => void;
  private rejectStarted!: (error: Error) => void;
  private hello: AgentHello | undefined;
  private lostWhy: string | undefined;
  private closing = false;
  private nextId = 1;
  private pending = 0;
  /** Processes that keep the spawner alive (being started, or waited for): the session holds it while any does. */
  private readonly held = new Set<number>();

  constructor(private readonly options: SessionOptions) {
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined);
    // In a process group of its own, so that ending the session ends what ssh started too (a ProxyCommand, which
    // ssh does not end when it is killed while connecting). A Ctrl-C in the terminal reaches only the program: its
    // exit closes ssh's stdin, which ends the session and the remote workers.
    this.child = spawn(options.command.file, [...options.command.args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.sshStderrTail = keepTail(this.child.stderr);
    this.child.stdin!.on('error', () => undefined);
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      const detail =
        error.code === 'ENOENT' ? `${options.command.file} was not found: install the OpenSSH client (ssh)` : `cannot run ${options.command.file}: ${error.message}`;
      this.lose(detail);
    });
    this.child.once('exit', (code, signal) => {
      const status = code === null ? { code, signal } : statusFromShellCode(code);
      // Let stderr and stdout drain first: they say why (and may hold the last exit frames).
      setImmediate(() => this.onChildExit(showProcessStatus(status), code));
    });
    const settings = options.heartbeat;
    this.heartbeat =
      settings === false
        ? undefined
        : new HeartbeatMonitor(
            settings.intervalMs,
            settings.timeoutMs,
            () => this.write(encodeFrame(Kind.heartbeat, 0)),
            (silentMs) => this.lose(`no heartbeat from the agent on ${options.hostName} for ${Math.round(silentMs)} ms (network loss, or the machine is overloaded)`),
          );
  }

  /** Whether new launches may use this session. */
  get usable(): boolean {
    return this.lostWhy === undefined && !this.closing;
  }

  /** Starts `spec` on the agent's machine; resolves once it runs there (its pid known). */
  async launch(spec: LaunchSpec, request: LaunchRequest, hosts: { connectHost: Promise<string>; listenHost: string | undefined }): Promise<RemoteProcess> {
    this.pending++;
    this.updateRef();
    const fail = (detail: string, code: 'SPAWN_FAILED' | 'SPAWN_TIMEOUT' = 'SPAWN_FAILED'): CohortError =>
      new CohortError(code, `could not start worker "${request.name}" on ${this.options.hostName}: ${detail}`, { worker: request.name });
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(fail(`no answer within the spawn's spawnTimeoutMs; raise it if ${this.options.hostName} is slow to reach`, 'SPAWN_TIMEOUT'));
      if (request.signal?.aborted === true) onAbort();
      else request.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    let remote: RemoteProcess | undefined;
    try {
      const [hello, connectHost] = await Promise.race([Promise.all([this.started, hosts.connectHost]), aborted]);
      if (!this.usable) throw new Error(this.lostWhy ?? 'the session is closing');
      const listenHost = hosts.listenHost ?? hello.serverAddress ?? '0.0.0.0';
      const id = this.nextId++;
      remote = new RemoteProcess(this, id, request.name, { stdout: request.stdout, stderr: request.stderr }, connectHost, listenHost);
      this.processes.set(id, remote);
      this.hold(id, true);
      void remote.exited.then(() => {
        this.processes.delete(id);
        this.checkIdle();
      });
      this.write(encodeJsonFrame(Kind.launch, id, spec));
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
    this.child.stdin!.end();
    const timer = setTimeout(() => this.terminate(), CLOSE_GRACE_MS);
    this.child.once('exit', () => clearTimeout(timer));
  }

  /** Ends ssh and whatever it started (its process group): SIGTERM, then SIGKILL. */
  private terminate(): void {
    const { pid } = this.child;
    if (pid === undefined) return;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // Gone already.
      }
    };
    signalGroup('SIGTERM');
    // Not unref'd and not cancelled by ssh's exit: a ProxyCommand may outlive ssh in the group.
    setTimeout(() => signalGroup('SIGKILL'), TERM_GRACE_MS);
  }

  /** @hidden for RemoteProcess: sends a frame of one of its processes. */
  send(kind: number, id: number, body?: Uint8Array): boolean {
    if (this.lostWhy !== undefined) return false;
    return this.write(encodeFrame(kind, id, body));
  }

  private write(frame: Buffer): boolean {
    const stdin = this.child.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return false;
    stdin.write(frame);
    return true;
  }

  /** @hidden for RemoteProcess: whether it keeps the spawner alive. */
  hold(id: number, held: boolean): void {
    if (held) this.held.add(id);
    else this.held.delete(id);
    this.updateRef();
  }

  /** The ssh client and its pipes keep this program alive only while a launch is pending or a process is held. */
  private updateRef(): void {
    const keep = this.pending > 0 || this.held.size > 0;
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
      this.lose(`the agent's output is corrupt (${(error as Error).message}); is something on ${this.options.hostName} writing to stdout at login?`);
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame({ kind, id, body }: Frame): void {
    const json = (): unknown => JSON.parse(body.toString('utf8'));
    if (kind === Kind.hello) {
      const hello = helloSchema.safeParse(json());
      if (!hello.success) return this.lose('the agent sent a malformed hello');
      this.hello = { pid: hello.data.pid, serverAddress: hello.data.serverAddress, node: hello.data.node };
      // From now on ssh's own messages (and the agent's) are worth showing.
      forwardLines(this.child.stderr!, process.stderr, () => `[${this.options.hostName}] `);
      this.heartbeat?.start();
      this.resolveStarted(this.hello);
      return;
    }
    if (kind === Kind.agentHeartbeat) return;
    const remote = this.processes.get(id);
    if (remote === undefined) return;
    if (kind === Kind.launched) remote.onLaunched(launchedSchema.parse(json()).pid);
    else if (kind === Kind.launchFailed) remote.onLaunchFailed(new Error(messageSchema.parse(json()).message));
    else if (kind === Kind.controlOut) remote.onControl(body);
    else if (kind === Kind.stdout) remote.onOutput('stdout', body);
    else if (kind === Kind.stderr) remote.onOutput('stderr', body);
    else if (kind === Kind.exit) {
      const status = exitSchema.parse(json());
      remote.onExit({ code: status.code, signal: status.signal as NodeJS.Signals | null });
    }
  }

  private onChildExit(status: string, code: number | null): void {
    const tail = this.sshStderrTail().trim();
    if (this.hello === undefined) {
      const detail = tail === '' ? `ssh ${status} before the agent started` : `ssh ${status} before the agent started: ${tail}`;
      this.lose(this.options.startHint(code === 127 ? `${detail} (the remote shell could not run node)` : detail));
      return;
    }
    if (this.closing && this.processes.size === 0) return this.lose('the session was closed');
    this.lose(`the ssh session to ${this.options.hostName} ended (ssh ${status})${tail === '' ? '' : `: ${tail.split('\n').slice(-3).join(' / ')}`}`);
  }

  private lose(why: string): void {
    if (this.lostWhy !== undefined) return;
    this.lostWhy = why;
    this.heartbeat?.stop();
    this.terminate();
    this.rejectStarted(new Error(why));
    for (const remote of this.processes.values()) remote.onSessionLost(why);
  }
}
