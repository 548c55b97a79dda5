// A peer that speaks the wire format by hand, to play the hostile or broken side of a connection.
import { connect as netConnect, type Socket } from 'node:net';
import type { Address } from '../src/index.js';
import { authProof, newNonce } from '../src/protocol/handshake.js';
import { FrameDecoder } from '../src/wire/frame-decoder.js';
import { decodePayload, encodeFrame as encodeWireFrame } from '../src/wire/codec.js';
import { Kind, MAGIC, PROTOCOL_VERSION } from '../src/wire/messages.js';
import { within } from './waiting.js';

/** One frame as the real writer would produce it: 4-byte big-endian length, then the msgpack payload. */
export function encodeFrame(message: unknown): Buffer {
  return Buffer.from(encodeWireFrame(message, Number.MAX_SAFE_INTEGER));
}

export type RawMessage = unknown[];

/**
 * A peer that speaks the wire format by hand, to play the hostile or broken side. It records every message the
 * real side sends it.
 */
export class RawPeer {
  readonly messages: RawMessage[] = [];
  readonly closed: Promise<void>;
  receivedBytes = 0;
  private readonly decoder = new FrameDecoder(2 ** 31, (payload) => this.onFrame(payload));
  private readonly listeners = new Set<() => void>();
  private isClosed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      this.decoder.push(chunk);
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.notify();
        resolve();
      }),
    );
  }

  static async connect(address: Address): Promise<RawPeer> {
    const socket = netConnect('path' in address ? { path: address.path } : { host: address.host, port: address.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  get ended(): boolean {
    return this.isClosed;
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The first message matching `predicate`, waiting for it (fails if the socket closes first). */
  async next(predicate: (m: RawMessage) => boolean, what: string, timeoutMs = 10_000): Promise<RawMessage> {
    const found = (): RawMessage | undefined => this.messages.find(predicate);
    const existing = found();
    if (existing !== undefined) return existing;
    return within(
      new Promise<RawMessage>((resolve, reject) => {
        const check = (): void => {
          const m = found();
          if (m !== undefined) {
            this.listeners.delete(check);
            resolve(m);
          } else if (this.isClosed) {
            this.listeners.delete(check);
            reject(new Error(`socket closed before ${what}; got ${JSON.stringify(this.messages.map((x) => x[0]))}`));
          }
        };
        this.listeners.add(check);
      }),
      timeoutMs,
      what,
    );
  }

  nextOfKind(kind: number, what = `a message of kind ${kind}`): Promise<RawMessage> {
    return this.next((m) => m[0] === kind, what);
  }

  /** The `Close` message the real side sent before hanging up, if any. */
  closeMessage(): { reason: string; code: string | null } | undefined {
    const m = this.messages.find((x) => x[0] === Kind.Close);
    return m === undefined ? undefined : { reason: m[1] as string, code: (m[2] ?? null) as string | null };
  }

  /**
   * Plays the client's half of the handshake: hello, proof (when `secret` is given), an empty menu unless told.
   * Resolves once the real side's menu has arrived; frames sent afterwards are read after the handshake.
   */
  async handshake(
    options: { secret?: string; menu?: [string, number][]; role?: 'client' | 'server' } = {},
  ): Promise<RawMessage> {
    const nonce = newNonce();
    this.send([Kind.Hello, MAGIC, PROTOCOL_VERSION, nonce, 'raw peer']);
    const hello = await this.nextOfKind(Kind.Hello, 'the peer hello');
    const peerNonce = hello[3] as Uint8Array;
    const role = options.role ?? 'client';
    this.send([Kind.Auth, options.secret === undefined ? null : authProof(options.secret, role, peerNonce, nonce)]);
    this.send([Kind.Menu, options.menu ?? []]);
    return this.nextOfKind(Kind.Menu, 'the peer menu');
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onFrame(payload: Buffer): void {
    this.messages.push(decodePayload(payload) as RawMessage);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
