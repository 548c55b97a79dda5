import type { z } from 'zod';
import { formatIssues } from './describe.js';

/** Every code an {@link RpcError} may carry; the type and the runtime check come from this one list. */
export const RPC_ERROR_CODES = [
  'CONNECTION_CLOSED',
  'UNIMPLEMENTED',
  'MESSAGE_TOO_BIG',
  'HANDSHAKE_FAILED',
  'AUTH_FAILED',
  'TIMEOUT',
  'ABORTED',
  'PROTOCOL',
] as const;

/** Stable codes of {@link RpcError}. Branch on these, never on messages. */
export type RpcErrorCode = (typeof RPC_ERROR_CODES)[number];

const rpcErrorCodes: ReadonlySet<string> = new Set(RPC_ERROR_CODES);

export function isRpcErrorCode(code: unknown): code is RpcErrorCode {
  return typeof code === 'string' && rpcErrorCodes.has(code);
}

/** A failure of the RPC machinery itself: the connection, the protocol, a deadline or a cancellation. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: RpcErrorCode;
  /** The RPC this error concerns, when there is one. */
  readonly rpc: string | undefined;

  constructor(code: RpcErrorCode, message: string, options: { rpc?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rpc = options.rpc;
  }
}

/** An exception thrown by the peer's implementation, carried back to the caller. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  /** `name` of the error the implementation threw (`TypeError`, a custom class name…). */
  readonly remoteName: string;
  /** Stack of the error in the peer's process, as text. */
  readonly remoteStack: string | undefined;
  /** The RPC whose implementation threw. */
  readonly rpc: string;
  /** The peer's description (for Cohort workers: the worker name and pid). */
  readonly peer: string;
  /** Extra structured detail attached by the layer that threw (e.g. a map-reduce input index). */
  readonly data: unknown;

  constructor(init: { remoteName: string; message: string; remoteStack?: string; rpc: string; peer: string; data?: unknown }) {
    super(`${init.remoteName} in ${init.rpc} on ${init.peer}: ${init.message}`);
    this.remoteName = init.remoteName;
    this.remoteStack = init.remoteStack;
    this.rpc = init.rpc;
    this.peer = init.peer;
    this.data = init.data;
  }
}

/**
 * A value failed its zod schema. `side: 'input'` means the caller sent something the schema refuses (checked before
 * sending and again by the receiver); `'output'` means the implementation produced a value (result, item, state or
 * update) its own schema refuses. The connection stays usable.
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly side: 'input' | 'output';
  /** The RPC whose value failed, when it was an RPC's (not, say, a worker's `workerInit`). */
  readonly rpc: string | undefined;
  /** What the value was for: the RPC name, or e.g. `worker type counter`, `task build`, `message log`. */
  readonly subject: string;
  readonly issues: z.core.$ZodIssue[];
  /** Which value failed: `input`, `output`, `state`, `item 3`, `workerInit`… (kept across the wire, unlike a stack). */
  readonly what: string;

  constructor(init: { side: 'input' | 'output'; issues: z.core.$ZodIssue[]; what?: string } & ({ rpc: string; subject?: string } | { subject: string })) {
    const what = init.what ?? (init.side === 'input' ? 'input' : 'output');
    const rpc = 'rpc' in init ? init.rpc : undefined;
    const subject = init.subject ?? rpc!;
    super(`invalid ${what} for ${subject}: ${formatIssues(init.issues)}`);
    this.side = init.side;
    this.rpc = rpc;
    this.subject = subject;
    this.issues = init.issues;
    this.what = what;
  }
}
