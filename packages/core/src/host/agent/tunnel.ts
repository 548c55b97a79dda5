import { Duplex } from 'node:stream';
import { encodeCredit, Kind, TUNNEL_WINDOW_BYTES } from './agent-protocol.js';

/** What a tunnel needs from its session. */
export interface TunnelLink {
  /** Sends a frame of this tunnel; false once the session is gone. */
  send(kind: number, id: number, body?: Uint8Array): boolean;
  /** Whether this tunnel keeps the spawner alive (a call in flight on its connection). */
  hold(id: number, held: boolean): void;
  /** The tunnel is finished with: forget it. */
  forget(id: number): void;
}

/**
 * One worker connection carried through an agent session, as the spawner's RPC connection sees it: a Duplex whose
 * writes become `tunnelData` frames and whose reads are the agent's. Credit-based flow control both ways (see
 * agent-protocol.ts): a write waits while this tunnel has no credit left (only this tunnel's writer waits), and
 * credit goes back to the agent once the reader has taken the bytes, so a connection whose reader stalls holds at
 * most one window here. `ref`/`unref` let the RPC connection's `holdProcess: 'while-busy'` keep the program alive
 * through the session while a call is in flight, as a socket would.
 */
export class TunnelStream extends Duplex {
  private credit = TUNNEL_WINDOW_BYTES;
  /** Writes waiting for credit, each with its callback (called once it has all gone out). */
  private waiting: { chunk: Buffer; callback: (error?: Error | null) => void }[] = [];
  /** Bytes read by the consumer since credit was last given back. */
  private unacked = 0;
  /** Bytes pushed while the reader was full: given back when it reads again. */
  private heldBack = 0;
  private endSent = false;
  private endReceived = false;
  private gone = false;

  constructor(
    private readonly link: TunnelLink,
    readonly id: number,
  ) {
    super({ allowHalfOpen: true });
  }

  // The session's side.

  onData(bytes: Buffer): void {
    if (this.gone || this.endReceived) return;
    if (this.push(bytes)) this.consumed(bytes.length);
    else this.heldBack += bytes.length;
  }

  onCredit(bytes: number): void {
    this.credit += bytes;
    this.pump();
  }

  onEnd(): void {
    this.endReceived = true;
    this.push(null);
  }

  /** The agent tore the tunnel down, could not open it, or the session is lost. */
  onReset(message: string): void {
    this.gone = true;
    this.link.forget(this.id);
    this.destroy(new Error(message));
  }

  // The RPC connection's side.

  override _read(): void {
    if (this.heldBack === 0) return;
    const bytes = this.heldBack;
    this.heldBack = 0;
    this.consumed(bytes);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.gone) return callback(new Error('the tunnel is closed'));
    if (this.waiting.length === 0 && chunk.length <= this.credit) {
      this.credit -= chunk.length;
      if (this.link.send(Kind.tunnelData, this.id, chunk)) callback();
      else callback(new Error('the session carrying the tunnel is gone'));
      return;
    }
    this.waiting.push({ chunk, callback });
    this.pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.endSent = true;
    this.link.send(Kind.tunnelEnd, this.id);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const { callback: waiting } of this.waiting) waiting(error ?? new Error('the tunnel was closed'));
    this.waiting = [];
    this.link.hold(this.id, false);
    if (!this.gone) {
      this.gone = true;
      this.link.forget(this.id);
      // Both ways ended: the agent closes its side by itself. Otherwise it is told to tear it down.
      if (!(this.endSent && this.endReceived))
        this.link.send(Kind.tunnelReset, this.id, Buffer.from(JSON.stringify({ message: error?.message ?? 'closed' })));
    }
    callback(error);
  }

  ref(): this {
    if (!this.gone) this.link.hold(this.id, true);
    return this;
  }

  unref(): this {
    this.link.hold(this.id, false);
    return this;
  }

  private consumed(bytes: number): void {
    this.unacked += bytes;
    if (this.unacked >= TUNNEL_WINDOW_BYTES / 4) {
      this.link.send(Kind.tunnelCredit, this.id, encodeCredit(this.unacked));
      this.unacked = 0;
    }
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.credit > 0 && !this.gone) {
      const head = this.waiting[0]!;
      const part = head.chunk.length <= this.credit ? head.chunk : head.chunk.subarray(0, this.credit);
      this.credit -= part.length;
      if (!this.link.send(Kind.tunnelData, this.id, part)) {
        this.onReset('the session carrying the tunnel is gone');
        return;
      }
      if (part.length === head.chunk.length) {
        this.waiting.shift();
        head.callback();
      } else {
        head.chunk = head.chunk.subarray(part.length);
      }
    }
  }
}
