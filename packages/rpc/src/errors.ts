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

/** What a `RemoteError` is made of; every field but `remoteName`, `message`, `rpc` and `peer` is optional. */
export interface RemoteErrorInit {
  /** `name` of the thrown error. */
  remoteName: string;
  /** `message` of the thrown error. */
  message: string;
  remoteStack?: string;
  rpc: string;
  peer: string;
  data?: unknown;
  remoteCode?: string | number;
  remoteFields?: Readonly<Record<string, unknown>>;
  /** The thrown error rebuilt in this process (see `RemoteError.cause`). */
  cause?: unknown;
}

/**
 * An exception thrown by the peer's implementation, carried back to the caller with what it held: its name, message,
 * stack (as text), `code`, own fields, cause chain and `errors`. Its own `stack` points at the caller's code (the
 * line that dispatched the call); its `cause` is the remote error rebuilt here, so that logging it shows both sides.
 */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  /** `name` of the error the implementation threw (`TypeError`, a custom class name, `NonError` for a non-error). */
  readonly remoteName: string;
  /** `message` of the error the implementation threw. */
  readonly remoteMessage: string;
  /** Stack of the error in the peer's process, as text (source-mapped there when the peer runs with source maps). */
  readonly remoteStack: string | undefined;
  /** `code` of the error the implementation threw, when it was a string or a number (`'E_QUOTA'`, `'ENOENT'`). */
  readonly remoteCode: string | number | undefined;
  /**
   * The thrown error's other own enumerable properties (not `name`, `message`, `stack`, `code`, `cause`, `errors`),
   * as they survived the wire: plain data, with a `[dropped: …]` marker in place of what could not travel.
   */
  readonly remoteFields: Readonly<Record<string, unknown>>;
  /** The RPC whose implementation threw. */
  readonly rpc: string;
  /** The peer's description (for Cohort workers: the worker name and pid). */
  readonly peer: string;
  /** Extra structured detail attached by the layer that threw (e.g. a map-reduce input index). */
  readonly data: unknown;
  /**
   * The remote error rebuilt: an `Error` (a `TypeError`… for the built-in names, an `AggregateError` when it had
   * `errors`) whose `name`, `message`, `stack`, `code`, fields, `cause` and `errors` are the remote ones; nested
   * causes that were not errors are the values themselves. `undefined` for a `RemoteError` made without one.
   */
  declare readonly cause: unknown;

  constructor(init: RemoteErrorInit) {
    super(
      `${init.remoteName} in ${init.rpc} on ${init.peer}: ${init.message}`,
      'cause' in init ? { cause: init.cause } : undefined,
    );
    this.remoteName = init.remoteName;
    this.remoteMessage = init.message;
    this.remoteStack = init.remoteStack;
    this.remoteCode = init.remoteCode;
    this.remoteFields = init.remoteFields ?? (init.data === undefined ? {} : { data: init.data });
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

  constructor(
    init: { side: 'input' | 'output'; issues: z.core.$ZodIssue[]; what?: string } & (
      | { rpc: string; subject?: string }
      | { subject: string }
    ),
  ) {
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
