import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import pDefer from 'p-defer';
import type { z } from 'zod';
import { describeAddress, type Address } from '../address.js';
import { dispatchFrom, placedCall, type CallSite } from '../call-site.js';
import {
  menuKey,
  type OneWayDef,
  type PipeDef,
  type ReversePipeDef,
  type RpcDef,
  type StateDef,
  type AnyRpcDef,
} from '../definitions.js';
import { RpcError, type RpcErrorCode } from '../errors.js';
import type { AnyImplementation, Source } from '../implementation.js';
import { Handshake, type Role } from '../protocol/handshake.js';
import { HeartbeatMonitor } from '../protocol/heartbeat.js';
import type { RpcStream } from '../protocol/stream-receiver.js';
import { resolveRpcSettings, type ResolvedRpcSettings, type RpcSettings } from '../settings.js';
import { checkEncryptionSecret, clientEncrypts, tlsStreamFailure } from '../transport/encryption.js';
import { secureClient } from '../transport/secure-client.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { decodePayload } from '../wire/codec.js';
import { FrameWriter } from '../wire/frame-writer.js';
import { checkMessage, Kind, ProtocolViolation, type Message } from '../wire/messages.js';
import type { CloseReason } from './close-reason.js';
import { IncomingCalls, type OneWayErrorHandler } from './incoming.js';
import type { Link } from './link.js';
import { OutgoingCalls, type DispatchOptions } from './outgoing.js';
import { checkHoldProcess, ProcessHold, type Refable } from './process-hold.js';

/** Options shared by both ends of a connection. */
export interface ConnectionOptions {
  /**
   * Shared secret. When set, both peers prove knowledge of it (HMAC-SHA256 challenge–response) before anything
   * else happens; it never crosses the wire. A peer without it is disconnected with `AUTH_FAILED`.
   */
  secret?: string | Uint8Array;
  /** Timeouts, limits and heartbeats; see {@link RpcSettings}. */
  settings?: RpcSettings;
  /** RPCs this side serves to the peer over the same socket (connections are symmetric). */
  implementations?: readonly AnyImplementation[];
  /** How the peer names this side in its errors, e.g. `worker "c1" (pid 1234)`. @default `process <pid>` */
  description?: string;
  /**
   * Whether this connection's socket keeps the Node process alive: `'always'`, or only `'while-busy'`: during the
   * handshake, while a call it made awaits its answer, while a stream in either direction is open (until its end
   * has arrived, or it is cancelled), while it serves a call, and while it closes. An idle connection then lets a
   * program end by itself, as an unref'd socket does. Sockets only: a stream without `ref()`/`unref()` is left as
   * it is. @default 'always'
   */
  holdProcess?: 'always' | 'while-busy';
  /**
   * Called when one of `implementations` that is one-way throws or rejects, with what it threw and the RPC's name:
   * its caller never hears of it. Without it the failure is a process warning with code `COHORT_ONE_WAY_ERROR`
   * (so is a failure of this function itself).
   */
  onOneWayError?: OneWayErrorHandler;
}

export interface ConnectOptions extends ConnectionOptions {
  address: Address;
  /** Abandons connecting (and the handshake) when aborted. */
  signal?: AbortSignal;
}

/** The result type of dispatching description `D`. */
export type DispatchResult<D extends AnyRpcDef> =
  D extends RpcDef<z.ZodType, infer O>
    ? z.output<O>
    : D extends PipeDef<z.ZodType, infer T>
      ? RpcStream<z.output<T>>
      : D extends StateDef<z.ZodType, infer S, infer U>
        ? { state: z.output<S>; updates: RpcStream<z.output<U>> }
        : D extends OneWayDef
          ? void
          : D extends ReversePipeDef<z.ZodType, z.ZodType, infer O>
            ? z.output<O>
            : never;

/** The argument of dispatching description `D`; reverse pipes take `[input, items]`. */
export type DispatchArg<D extends AnyRpcDef> =
  D extends ReversePipeDef<infer I, infer T> ? [z.input<I>, Source<z.input<T>>] : z.input<D['input']>;

/**
 * One authenticated, multiplexed RPC connection over a byte stream. Either side may dispatch to the other.
 *
 * @example
 * const conn = await Connection.connect({ address: { path: '/tmp/app.sock' }, secret });
 * const sum = await conn.dispatch(add, [1, 2]);
 * await conn.close('done');
 */
const EMPTY = Buffer.alloc(0);

export class Connection {
  /** Resolves once, when the connection has closed, with who closed it and why. Never rejects. */
  readonly closed: Promise<CloseReason>;
  /** This side's description, as the peer sees it. */
  readonly description: string;
  private peerMenu: ReadonlySet<string> = new Set<string>();
  private peerWindowBytes = 0;
  private readonly settings: ResolvedRpcSettings;
  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;
  private readonly outgoing: OutgoingCalls;
  private readonly incoming: IncomingCalls;
  private readonly heartbeat: HeartbeatMonitor | undefined;
  private readonly resolveClosed: (reason: CloseReason) => void;
  private closeReason: CloseReason | undefined;
  private readonly handshake: Handshake;
  private readonly handshakeDone = pDefer<void>();
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readonly socketClosed: Promise<void>;
  private readonly hold: ProcessHold;
  /** Whether the handshake still holds the process (see `holdProcess`). */
  private handshaking = false;
  private heldUntilClosed = false;

  private constructor(
    private readonly socket: Duplex & Refable & { setNoDelay?: (noDelay?: boolean) => unknown },
    role: Role,
    options: ConnectionOptions,
  ) {
    this.settings = resolveRpcSettings(options.settings);
    this.description = options.description ?? `process ${process.pid}`;
    this.hold = new ProcessHold(socket, checkHoldProcess(options.holdProcess) === 'while-busy');
    const deferred = pDefer<CloseReason>();
    this.closed = deferred.promise;
    this.resolveClosed = deferred.resolve;
    this.handshakeDone.promise.catch(() => undefined);
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.writer = new FrameWriter(socket, this.settings.maxMessageSize);
    this.decoder = new FrameDecoder(this.settings.maxMessageSize, (payload) => this.onFrame(payload));
    const link = this.link();
    this.outgoing = new OutgoingCalls(link);
    this.incoming = new IncomingCalls(
      link,
      options.implementations ?? [],
      checkOneWayErrorHandler(options.onOneWayError),
    );
    this.handshake = new Handshake({
      role,
      secret: options.secret,
      menu: this.incoming.menu(),
      windowBytes: this.settings.streamWindowBytes,
    });
    const heartbeat = this.settings.heartbeat;
    if (heartbeat !== false) {
      this.heartbeat = new HeartbeatMonitor(
        heartbeat.intervalMs,
        heartbeat.timeoutMs,
        () => this.sendQuietly([Kind.Heartbeat]),
        (silentMs) =>
          this.shutdown(
            'local',
            `no heartbeat received for ${Math.round(silentMs)} ms (timeout ${heartbeat.timeoutMs} ms)`,
            'TIMEOUT',
          ),
      );
    }
  }

  /** Connects to a server (or any listening peer) and completes the handshake. */
  static async connect(options: ConnectOptions): Promise<Connection> {
    const { address, signal } = options;
    signal?.throwIfAborted();
    const settings = resolveRpcSettings(options.settings);
    checkEncryptionSecret(settings.encryption, options.secret, 'Connection.connect');
    const socket = netConnect('path' in address ? { path: address.path } : { host: address.host, port: address.port });
    const onAbort = (): void => void socket.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
    } catch (error) {
      socket.destroy();
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted === true)
        throw new RpcError('ABORTED', `connecting to ${describeAddress(address)} was aborted`, { cause: error });
      throw new RpcError(
        'HANDSHAKE_FAILED',
        `could not connect to ${describeAddress(address)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      // Decided on the address actually reached (a name may resolve to loopback or not).
      const { secret } = options;
      const encrypt = secret !== undefined && clientEncrypts(settings.encryption, socket.remoteAddress, true);
      const stream = encrypt
        ? await secureClient(socket, secret, settings.handshakeTimeoutMs, describeAddress(address))
        : socket;
      return await Connection.open(stream, 'client', options);
    } catch (error) {
      // The abort destroyed the socket mid-handshake; say so rather than report the handshake's own failure.
      if (signal?.aborted === true)
        throw new RpcError('ABORTED', `connecting to ${describeAddress(address)} was aborted`, { cause: error });
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs the handshake over an already-connected byte stream: a socket, a TLS socket, or a stream tunnelled through
   * another channel. Servers use it with `role: 'server'`; the side that opened the stream is the `'client'`.
   * `onCreated` sees the connection before its handshake completes (so a server that closes meanwhile can tell the
   * peer why). On failure the stream is destroyed.
   */
  static async open(
    socket: Duplex,
    role: Role,
    options: ConnectionOptions,
    onCreated?: (connection: Connection) => void,
  ): Promise<Connection> {
    let connection: Connection;
    try {
      connection = new Connection(socket, role, options);
    } catch (error) {
      // Bad settings or a bad implementation list: nothing may keep the socket open.
      socket.destroy();
      throw error;
    }
    onCreated?.(connection);
    connection.start();
    await connection.handshakeDone.promise;
    return connection;
  }

  /** Calls `def` on the peer. See {@link DispatchOptions} for cancellation and deadlines. */
  dispatch<I extends z.ZodType, O extends z.ZodType>(
    def: RpcDef<I, O>,
    input: z.input<I>,
    options?: DispatchOptions,
  ): Promise<z.output<O>>;
  dispatch<I extends z.ZodType, T extends z.ZodType>(
    def: PipeDef<I, T>,
    input: z.input<I>,
    options?: DispatchOptions,
  ): Promise<RpcStream<z.output<T>>>;
  dispatch<I extends z.ZodType, S extends z.ZodType, U extends z.ZodType>(
    def: StateDef<I, S, U>,
    input: z.input<I>,
    options?: DispatchOptions,
  ): Promise<{ state: z.output<S>; updates: RpcStream<z.output<U>> }>;
  dispatch<I extends z.ZodType>(def: OneWayDef<I>, input: z.input<I>, options?: DispatchOptions): Promise<void>;
  dispatch<I extends z.ZodType, T extends z.ZodType, O extends z.ZodType>(
    def: ReversePipeDef<I, T, O>,
    arg: [z.input<I>, Source<z.input<T>>],
    options?: DispatchOptions,
  ): Promise<z.output<O>>;
  dispatch<D extends AnyRpcDef>(def: D, arg: DispatchArg<D>, options?: DispatchOptions): Promise<DispatchResult<D>>;
  dispatch(def: AnyRpcDef, arg: unknown, options?: DispatchOptions): Promise<unknown> {
    // A failure's stack points at the code that called this (see call-site.ts).
    return placedCall(def.kind, Connection.prototype.dispatch, (site) =>
      this.outgoing.dispatch(def, arg, options, site),
    );
  }

  /** @hidden For layers above (`@cohort/core`), which place their calls themselves (see call-site.ts). */
  [dispatchFrom](
    site: CallSite | undefined,
    def: AnyRpcDef,
    arg: unknown,
    options?: DispatchOptions,
  ): Promise<unknown> {
    return this.outgoing.dispatch(def, arg, options, site);
  }

  /** Whether the peer serves `def` (its name and version are in the peer's menu). */
  implements(def: AnyRpcDef): boolean {
    return this.peerMenu.has(menuKey(def.name, def.version));
  }

  /** Whether the connection is encrypted and integrity-protected (TLS): see `RpcSettings.encryption`. */
  get encrypted(): boolean {
    return (this.socket as { encrypted?: unknown }).encrypted === true;
  }

  /** The peer's description, as it announced itself in the handshake. */
  get peer(): string {
    return this.handshake.peerDescription;
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /**
   * With `holdProcess: 'while-busy'`, keeps the process alive until the connection closes: for a caller that awaits
   * `closed` and would otherwise see its script end (exit code 13) while the connection sits idle. Never released:
   * the socket goes when the connection closes.
   */
  holdUntilClosed(): void {
    if (this.closeReason !== undefined || this.heldUntilClosed) return;
    this.heldUntilClosed = true;
    this.hold.acquire();
  }

  /**
   * Writes what is queued now, and returns `undefined` once the operating system holds all of it, or a promise that
   * resolves when it does (or when the connection closes). A scheduler worker waits for this before it starts a
   * task sent ahead: the previous task's result must be out before code that may never return runs.
   * @internal
   */
  written(): Promise<void> | undefined {
    this.writer.flush();
    const socket = this.socket;
    if (socket.writableLength === 0 || socket.destroyed) return undefined;
    // 'drain' fires only after a write that filled the buffer: an empty write's callback runs once those before it
    // are done, whatever their size.
    return new Promise((resolve) => {
      socket.write(EMPTY, () => resolve());
    });
  }

  /**
   * Closes the connection: the peer is told `reason`, pending calls on both sides fail with `CONNECTION_CLOSED`.
   * Resolves once the socket is closed.
   */
  async close(reason = 'closed by the local side'): Promise<void> {
    this.shutdown('local', reason);
    await this.socketClosed;
  }

  /** `await using conn = await Connection.connect(…)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close('disposed');
  }

  private link(): Link {
    const connection = this;
    return {
      connection,
      settings: this.settings,
      send: (message, rpc) => this.writer.send(message, rpc),
      get peer() {
        return connection.peer;
      },
      get peerWindowBytes() {
        return connection.peerWindowBytes;
      },
      get open() {
        return connection.closeReason === undefined;
      },
      peerImplements: (key) => this.peerMenu.has(key),
      closedError: (rpc) => this.closedError(rpc),
      hold: this.hold,
    };
  }

  private closedError(rpc?: string): RpcError {
    const why = this.closeReason;
    const by = why?.by === 'remote' ? 'by the peer' : 'by this side';
    const text = why === undefined ? 'connection closed' : `connection to ${this.peer} closed ${by}: ${why.reason}`;
    return new RpcError(
      'CONNECTION_CLOSED',
      rpc === undefined ? text : `${rpc} failed: ${text}`,
      rpc === undefined ? {} : { rpc },
    );
  }

  private start(): void {
    const socket = this.socket;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      this.heartbeat?.received();
      try {
        this.decoder.push(chunk);
      } catch (error) {
        this.onBadInput(error);
      }
    });
    // A stream handed over paused (a server that read its first byte to tell TLS from plain) flows from here.
    socket.resume();
    socket.on('end', () => this.shutdown('remote', 'the peer closed the socket'));
    socket.on('error', (error) => {
      const tls = tlsStreamFailure(error);
      if (tls === undefined) return this.shutdown('remote', `socket error: ${error.message}`);
      // An encrypted stream that failed cannot carry a Close any more (nor anything else): drop it at once.
      socket.destroy();
      this.shutdown(tls.by, tls.reason, tls.code);
    });
    socket.on('close', () => this.shutdown('remote', 'the socket closed'));
    this.handshaking = true;
    this.hold.acquire();
    this.handshakeTimer = setTimeout(() => {
      this.shutdown(
        'local',
        `handshake not completed within ${this.settings.handshakeTimeoutMs} ms`,
        'HANDSHAKE_FAILED',
      );
    }, this.settings.handshakeTimeoutMs);
    this.sendQuietly(this.handshake.hello(this.description));
  }

  private onFrame(payload: Buffer): void {
    if (this.closeReason !== undefined) return;
    let value: unknown;
    try {
      value = decodePayload(payload);
    } catch (error) {
      throw new ProtocolViolation(`undecodable frame (${(error as Error).message})`);
    }
    this.onMessage(checkMessage(value), payload.length);
  }

  private onMessage(message: Message, bytes: number): void {
    if (!this.handshake.done) {
      this.onHandshakeMessage(message);
      return;
    }
    switch (message[0]) {
      case Kind.Query:
        return this.incoming.onQuery(message[1], message[2], message[3], message[4]);
      case Kind.Result:
        return this.outgoing.onResult(message[1], message[2]);
      case Kind.Error:
        return this.outgoing.onError(message[1], message[2]);
      case Kind.DownItems:
        return this.outgoing.onItems(message[1], message[2], bytes);
      case Kind.DownEnd:
        return this.outgoing.onEnd(message[1]);
      case Kind.DownCredit:
        return this.outgoing.onCredit(message[1], message[2]);
      case Kind.UpItems:
        return this.incoming.onItems(message[1], message[2], bytes);
      case Kind.UpEnd:
        return this.incoming.onEnd(message[1]);
      case Kind.UpCredit:
        return this.incoming.onCredit(message[1], message[2]);
      case Kind.Cancel:
        return this.incoming.onCancel(message[1], message[2]);
      case Kind.Heartbeat:
        return;
      case Kind.Close:
        return this.shutdown('remote', message[1], (message[2] ?? undefined) as RpcErrorCode | undefined);
      default:
        throw new ProtocolViolation(`unexpected handshake message (kind ${message[0]}) after the handshake`);
    }
  }

  private onHandshakeMessage(message: Message): void {
    if (message[0] === Kind.Close) {
      this.shutdown('remote', message[1], (message[2] ?? 'HANDSHAKE_FAILED') as RpcErrorCode);
      return;
    }
    const step = this.handshake.receive(message);
    if ('send' in step) {
      this.sendQuietly(step.send);
    } else if ('fail' in step) {
      this.fail(step.fail.code, step.fail.reason);
    } else {
      this.peerMenu = step.done.menu;
      this.peerWindowBytes = step.done.windowBytes;
      clearTimeout(this.handshakeTimer);
      this.heartbeat?.start();
      this.handshakeDone.resolve();
      this.endHandshakeHold();
    }
  }

  /** Hostile or broken input: close with a reason, never throw out of a socket callback. */
  private onBadInput(error: unknown): void {
    if (error instanceof RpcError) {
      this.fail(error.code, error.message);
    } else if (error instanceof ProtocolViolation) {
      this.fail('PROTOCOL', `protocol error: ${error.message}`);
    } else {
      this.fail('PROTOCOL', `internal error while handling a message: ${(error as Error)?.stack ?? String(error)}`);
    }
  }

  /** Closes because of a failure: the peer is told why (so a rejected client sees the real reason). */
  private fail(code: RpcErrorCode, reason: string): void {
    this.shutdown('local', reason, code);
  }

  private sendQuietly(message: Message): void {
    try {
      this.writer.send(message);
    } catch {
      // Control messages are tiny; failing to encode one means the connection is already going away.
    }
  }

  /**
   * The handshake no longer holds the process. Whatever the program does once `connect` resolves runs in a
   * microtask, before the event loop could notice an unref'd socket, so a call it makes at once keeps it alive.
   */
  private endHandshakeHold(): void {
    if (!this.handshaking) return;
    this.handshaking = false;
    this.hold.release();
  }

  private shutdown(by: CloseReason['by'], reason: string, code?: RpcErrorCode): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = code === undefined ? { by, reason } : { by, reason, code };
    const socket = this.socket;
    const graceful = by === 'local' && !socket.destroyed && socket.writable;
    // Closing is in flight too: the Close and what was queued before it must reach the peer, and `close()`'s
    // caller must see it resolve. Never released: the socket closes.
    if (graceful) this.hold.acquire();
    this.endHandshakeHold();
    clearTimeout(this.handshakeTimer);
    this.heartbeat?.stop();
    if (!this.handshake.done) {
      const failure =
        code === 'AUTH_FAILED' || code === 'HANDSHAKE_FAILED' || code === 'MESSAGE_TOO_BIG' || code === 'PROTOCOL'
          ? code
          : 'HANDSHAKE_FAILED';
      this.handshakeDone.reject(new RpcError(failure, `handshake with ${this.peer} failed: ${reason}`));
    }
    this.outgoing.closeAll((rpc) => this.closedError(rpc));
    this.incoming.closeAll(this.closedError());
    if (graceful) {
      // What was sent before the close goes out before it (a one-way call resolved just before `close()` included).
      this.sendQuietly([Kind.Close, reason.slice(0, 4096), code ?? null]);
      this.writer.flush();
      socket.end();
      // A peer that never reads must not keep the socket (and us) alive.
      setTimeout(() => socket.destroy(), 2000).unref();
    } else {
      this.writer.discard();
      socket.destroy();
    }
    this.resolveClosed(this.closeReason);
  }
}

/** A wrong type here would otherwise surface only when a one-way call fails, far from the mistake. */
export function checkOneWayErrorHandler(handler: unknown): OneWayErrorHandler | undefined {
  if (handler !== undefined && typeof handler !== 'function') {
    throw new TypeError(`onOneWayError must be a function, got ${typeof handler}`);
  }
  return handler as OneWayErrorHandler | undefined;
}
