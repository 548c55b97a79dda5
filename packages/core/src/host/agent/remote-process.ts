import { Duplex, PassThrough, type Writable } from 'node:stream';
import pDefer from 'p-defer';
import type { ExitStatus } from '../../process/exit-status.js';
import { forwardLines, keepTail, type OutputOption } from '../../process/output.js';
import type { Address } from '@cohort/rpc/internal';
import type { LaunchedProcess } from '../host.js';
import { Kind } from './agent-protocol.js';

// The built-in's CommonJS object, not its ESM namespace, whose lazy getters load modules no worker needs.
const { createWriteStream } = process.getBuiltinModule('node:fs');

/** How the spawner reaches a remote worker: directly by TCP, through the session (a tunnel), or TCP if it can. */
export type RemoteTransport = 'tcp' | 'tunnel' | 'auto';

/** What a remote process needs from its session. */
export interface SessionLink {
  /** Sends a frame for this process; false once the session is gone. */
  send(kind: number, id: number, body?: Uint8Array): boolean;
  /** Whether this process keeps the spawner alive (the session does while any of its processes does). */
  hold(id: number, held: boolean): void;
  /** A byte stream to `address` on the agent's machine, through the session. */
  openTunnel(address: Address): Duplex;
  /** Why the session's workers may have ended, beyond their exit status. */
  explain(): string | undefined;
}

/** Where a remote worker listens and how it is reached (see `SessionPlacement`). */
export interface RemotePlacement {
  readonly transport: RemoteTransport;
  readonly connectHost: string | undefined;
  readonly listenHost: string;
  /** The agent's base for tunnelled workers' sockets. */
  readonly socketBase: string;
  readonly hostName: string;
}

/** A stream of the worker's output, as its spawn asked: forwarded with a prefix, to a local file, or dropped. */
function outputSink(option: OutputOption | undefined, target: Writable, prefixOf: () => string): PassThrough {
  const sink = new PassThrough();
  if (option === undefined || option === 'inherit') forwardLines(sink, target, prefixOf);
  else if (option === 'ignore') sink.resume();
  else sink.pipe(createWriteStream(option.file, { flags: option.append === true ? 'a' : 'w' }));
  return sink;
}

/**
 * One worker started by a remote agent, as its spawner sees it: the same `LaunchedProcess` a local child is, with
 * the control channel, output and exit status relayed by the agent's frames, and signals sent as frames too.
 */
export class RemoteProcess implements LaunchedProcess {
  readonly transport: RemoteTransport;
  readonly connectHost: string | undefined;
  readonly listenHost: string;
  readonly hostName: string;
  readonly control: Duplex;
  readonly exited: Promise<ExitStatus>;
  readonly stderrTail: () => string;
  private remotePid = 0;
  private isWatched = false;
  private status: ExitStatus | undefined;
  private readonly exit = pDefer<ExitStatus>();
  private readonly launched = pDefer<void>();
  private readonly stdout: PassThrough;
  private readonly stderr: PassThrough;
  private prefix: string;
  private abandoned = false;
  private notes = '';

  constructor(
    private readonly session: SessionLink,
    readonly id: number,
    name: string,
    output: { stdout: OutputOption | undefined; stderr: OutputOption | undefined },
    private readonly placement: RemotePlacement,
  ) {
    this.transport = placement.transport;
    this.connectHost = placement.connectHost;
    this.listenHost = placement.listenHost;
    this.hostName = placement.hostName;
    this.prefix = `[${name}] `;
    this.exited = this.exit.promise;
    this.stdout = outputSink(output.stdout, process.stdout, () => this.prefix);
    this.stderr = outputSink(output.stderr, process.stderr, () => this.prefix);
    const tail = keepTail(this.stderr);
    this.stderrTail = () => tail() + this.notes;
    this.control = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        if (this.session.send(Kind.control, this.id, chunk)) callback();
        else callback(new Error(`the session to ${placement.hostName} is gone`));
      },
    });
    this.control.on('error', () => undefined);
    // The launch may be abandoned (spawn timed out) before anyone awaits it.
    this.launched.promise.catch(() => undefined);
  }

  get pid(): number {
    return this.remotePid;
  }

  /** Whether the agent's watchdog ends this worker if the agent dies (then it needs no lifeline thread). */
  get watched(): boolean {
    return this.isWatched;
  }

  /** Resolves once the agent has started the process; rejects with the agent's reason if it could not. */
  whenLaunched(): Promise<void> {
    return this.launched.promise;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.status !== undefined) return;
    // Before the agent has started it, the kill waits for the process to exist (see onLaunched).
    if (this.remotePid === 0) this.abandoned = true;
    else this.session.send(Kind.kill, this.id, Buffer.from(JSON.stringify({ signal })));
  }

  release(): void {
    this.control.destroy();
  }

  /** A tunnelled worker listens on a socket of the agent's machine, named after its id. */
  tunnelSocket(workerId: string): string {
    return `${this.placement.socketBase}/${workerId}.sock`;
  }

  openTunnel(address: Address): Duplex {
    return this.session.openTunnel(address);
  }

  exitReason(): string | undefined {
    return this.session.explain();
  }

  rename(name: string): void {
    this.prefix = `[${name}] `;
  }

  hold(held: boolean): void {
    this.session.hold(this.id, held && this.status === undefined);
  }

  // The session's side, one method per frame.

  onLaunched(pid: number, watched: boolean): void {
    this.remotePid = pid;
    this.isWatched = watched;
    if (this.abandoned) this.kill('SIGKILL');
    this.launched.resolve();
  }

  onLaunchFailed(error: Error): void {
    this.launched.reject(error);
    this.settle({ code: null, signal: null });
  }

  onControl(bytes: Buffer): void {
    this.control.push(bytes);
  }

  onOutput(stream: 'stdout' | 'stderr', bytes: Buffer): void {
    (stream === 'stdout' ? this.stdout : this.stderr).write(bytes);
  }

  onExit(status: ExitStatus): void {
    this.settle(status);
  }

  /** The session is gone: the agent ends the process on its side (lifeline); here, nothing more will be heard of it. */
  onSessionLost(why: string): void {
    if (this.status !== undefined) return;
    this.notes += `\n(${why})`;
    this.launched.reject(new Error(why));
    this.settle({ code: null, signal: null });
  }

  private settle(status: ExitStatus): void {
    if (this.status !== undefined) return;
    this.status = status;
    this.session.hold(this.id, false);
    this.control.push(null);
    this.stdout.end();
    this.stderr.end();
    this.exit.resolve(status);
  }
}
