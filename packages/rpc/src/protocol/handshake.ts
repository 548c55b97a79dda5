import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { menuKey } from '../definitions.js';
import { Kind, MAGIC, PROTOCOL_VERSION, ProtocolViolation, type Message } from '../wire/messages.js';
import { osRandomBytes } from './os-random.js';

/** Which end opened the socket. Part of the signed text, so a proof can't be reflected back at its author. */
export type Role = 'client' | 'server';

const NONCE_BYTES = 32;

export const newNonce = (): Uint8Array => osRandomBytes(NONCE_BYTES);

const utf8 = new TextEncoder();

/**
 * HMAC-SHA256 over the prover's role and both nonces (the verifier's first). Each side proves it knows the secret
 * by signing the other side's fresh nonce; the secret itself never crosses the wire. Computed with @noble/hashes,
 * bundled into this package: `node:crypto` would cost a new worker 6 to 10 ms to load inside its first handshake,
 * the bundled code about 1 ms.
 */
export function authProof(
  secret: string | Uint8Array,
  proverRole: Role,
  verifierNonce: Uint8Array,
  proverNonce: Uint8Array,
): Uint8Array {
  return hmac
    .create(sha256, typeof secret === 'string' ? utf8.encode(secret) : secret)
    .update(utf8.encode(`${MAGIC}/${PROTOCOL_VERSION}/${proverRole}/`))
    .update(verifierNonce)
    .update(proverNonce)
    .digest();
}

/** Compares in constant time: how long it takes says nothing about where a forged proof first differs. */
export function proofMatches(expected: Uint8Array, received: Uint8Array | null): boolean {
  if (received === null || received.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ received[i]!;
  return difference === 0;
}

/** What the peer announced, once the handshake is complete. */
export interface PeerAnnouncement {
  /** `name@version` of every RPC the peer serves. */
  readonly menu: ReadonlySet<string>;
  /** The credit every stream the peer consumes starts with. */
  readonly windowBytes: number;
}

/** What to do with one handshake message from the peer. */
export type HandshakeStepResult =
  | { readonly send: Message }
  | { readonly fail: { readonly code: 'HANDSHAKE_FAILED' | 'AUTH_FAILED'; readonly reason: string } }
  | { readonly done: PeerAnnouncement };

export interface HandshakeOptions {
  readonly role: Role;
  readonly secret: string | Uint8Array | undefined;
  /** This side's menu and stream window, sent once the peer has proven itself. */
  readonly menu: [string, number][];
  readonly windowBytes: number;
}

/**
 * One side's handshake: Hello, then Auth, then Menu, each sent when the peer's previous one arrived (the order is
 * the same both ways, and neither side waits for the other to start). Pure: the connection sends, closes and
 * times out; this decides. Throws `ProtocolViolation` for a message the step does not expect.
 */
export class Handshake {
  /** How the peer names itself (at most 200 characters of its Hello), for this side's errors. */
  peerDescription = 'peer';
  private step: 'hello' | 'auth' | 'menu' | 'done' = 'hello';
  private readonly nonce = newNonce();
  private peerNonce: Uint8Array | undefined;

  constructor(private readonly options: HandshakeOptions) {}

  get done(): boolean {
    return this.step === 'done';
  }

  /** This side's Hello, sent as soon as the socket is connected. */
  hello(description: string): Message {
    return [Kind.Hello, MAGIC, PROTOCOL_VERSION, this.nonce, description];
  }

  /** Handles the peer's next handshake message (not a Close: that ends the connection, whatever the step). */
  receive(message: Message): HandshakeStepResult {
    const { role, secret } = this.options;
    if (this.step === 'hello' && message[0] === Kind.Hello) {
      const [, magic, version, nonce, description] = message;
      if (magic !== MAGIC) throw new ProtocolViolation('the peer does not speak the Cohort RPC protocol');
      if (version !== PROTOCOL_VERSION) {
        return {
          fail: {
            code: 'HANDSHAKE_FAILED',
            reason: `the peer speaks protocol version ${version}, this side ${PROTOCOL_VERSION}; upgrade one of them`,
          },
        };
      }
      this.peerNonce = nonce;
      this.peerDescription = description.slice(0, 200);
      this.step = 'auth';
      return { send: [Kind.Auth, secret === undefined ? null : authProof(secret, role, nonce, this.nonce)] };
    }
    if (this.step === 'auth' && message[0] === Kind.Auth) {
      if (secret !== undefined) {
        const peerRole: Role = role === 'client' ? 'server' : 'client';
        if (!proofMatches(authProof(secret, peerRole, this.nonce, this.peerNonce!), message[1])) {
          return {
            fail: { code: 'AUTH_FAILED', reason: 'authentication failed: the peer does not know the shared secret' },
          };
        }
      }
      this.step = 'menu';
      return { send: [Kind.Menu, this.options.menu, this.options.windowBytes] };
    }
    if (this.step === 'menu' && message[0] === Kind.Menu) {
      this.step = 'done';
      // A Menu without the window (a peer that predates it) means this side's own.
      return {
        done: {
          menu: new Set(message[1].map(([name, version]) => menuKey(name, version))),
          windowBytes: message[2] ?? this.options.windowBytes,
        },
      };
    }
    throw new ProtocolViolation(`unexpected message of kind ${message[0]} during the handshake (${this.step} step)`);
  }
}
