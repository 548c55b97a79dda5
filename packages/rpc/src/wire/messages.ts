/**
 * Message kinds. Every frame carries one msgpack array whose first element is the kind. Kinds are split by
 * direction relative to a call, because both peers allocate call ids independently: "up" messages travel from the
 * caller to the callee and name an incoming call of the receiver; "down" messages travel back and name one of the
 * receiver's own outgoing calls.
 */
export const Kind = {
  Hello: 0, //      [0, magic, protocolVersion, nonce, description]
  Auth: 1, //       [1, proof | null]
  Menu: 2, //       [2, [[name, version], …], streamWindowBytes]
  Query: 3, //      up   [3, id, name, version, input]           id 0: one-way, no response
  Result: 4, //     down [4, id, value]                           rpc output, state, stream accepted, reverse-pipe output
  Error: 5, //      down [5, id, WireError]                       the call (or its stream) failed
  DownItems: 6, //  down [6, id, [item, …]]                      pipe items, state updates
  DownEnd: 7, //    down [7, id]                                  pipe/state stream finished
  DownCredit: 8, // down [8, id, bytes]                          callee lets the caller send more reverse-pipe items
  UpItems: 9, //    up   [9, id, [item, …]]                      reverse-pipe items
  UpEnd: 10, //     up   [10, id]                                 reverse-pipe items finished
  UpCredit: 11, //  up   [11, id, bytes]                          caller lets the callee send more items/updates
  Cancel: 12, //    up   [12, id, reason]                         caller gave up (abort, timeout, break)
  Heartbeat: 13, // [13]
  Close: 14, //     [14, reason, code | null]
} as const;

export const MAGIC = 'cohort-rpc';
export const PROTOCOL_VERSION = 1;

/**
 * An exception as it crosses the wire, with what it holds: its `code`, its other own enumerable `fields`, its `cause`
 * and (an `AggregateError`'s) `errors`, each nested entry an error of its own or any other thrown value. The sender
 * has already cut it to size (see serialize-thrown.ts); the receiver checks its shape (`checkWireError`).
 */
export interface WireRemoteError {
  type: 'remote';
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  data?: unknown;
  fields?: Record<string, unknown>;
  cause?: WireThrown;
  errors?: WireThrown[];
}

/** What a `cause` or an `errors` entry holds: an error, or a value that is not one (`throw 'text'`, `{ cause: 42 }`). */
export type WireThrown = WireRemoteError | { type: 'value'; value: unknown };

/** An error as it crosses the wire. */
export type WireError =
  | WireRemoteError
  | { type: 'validation'; side: 'input' | 'output'; what: string; subject?: string; issues: unknown[] }
  | { type: 'rpc'; code: string; message: string };

export type Message =
  | [typeof Kind.Hello, string, number, Uint8Array, string]
  | [typeof Kind.Auth, Uint8Array | null]
  | [typeof Kind.Menu, [string, number][], number?]
  | [typeof Kind.Query, number, string, number, unknown]
  | [typeof Kind.Result, number, unknown]
  | [typeof Kind.Error, number, WireError]
  | [typeof Kind.DownItems | typeof Kind.UpItems, number, unknown[]]
  | [typeof Kind.DownEnd | typeof Kind.UpEnd, number]
  | [typeof Kind.DownCredit | typeof Kind.UpCredit, number, number]
  | [typeof Kind.Cancel, number, string]
  | [typeof Kind.Heartbeat]
  | [typeof Kind.Close, string, string | null];

/** Thrown for a well-framed message whose content breaks the protocol; the connection closes with `PROTOCOL`. */
export class ProtocolViolation extends Error {}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function fail(what: string): never {
  throw new ProtocolViolation(what);
}

// A function of the message, not a closure made per message: every frame of every connection is checked here.
function ok(m: unknown[], cond: boolean): void {
  if (!cond) fail(`malformed message of kind ${String(m[0])}`);
}

// What `ValidationError` reads from an issue: a path and a message.
const isIssue = (v: unknown): boolean => {
  const issue = v as { path?: unknown; message?: unknown } | null;
  return typeof issue === 'object' && issue !== null && Array.isArray(issue.path) && typeof issue.message === 'string';
};

/**
 * How far a received error may nest (through `cause` and `errors`) and how many errors it may hold in all. Cohort's
 * sender stays far below (16 levels, 256 errors): these only bound what a hostile peer can make the receiver build.
 */
export const RECEIVED_ERROR_LIMITS = { depth: 64, errors: 10_000 } as const;

const isMap = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !isBytes(v) && !(v instanceof Date);

function checkRemoteError(e: Record<string, unknown>, depth: number, count: { errors: number }): void {
  if (typeof e['name'] !== 'string' || typeof e['message'] !== 'string') fail('malformed remote error');
  const code = e['code'];
  if (code !== undefined && typeof code !== 'string' && typeof code !== 'number') fail('malformed remote error: code');
  if (e['fields'] !== undefined && !isMap(e['fields'])) fail('malformed remote error: fields');
  if (e['cause'] !== undefined) checkThrown(e['cause'], depth + 1, count);
  const errors = e['errors'];
  if (errors !== undefined) {
    if (!Array.isArray(errors)) fail('malformed remote error: errors');
    for (const entry of errors) checkThrown(entry, depth + 1, count);
  }
}

function checkThrown(v: unknown, depth: number, count: { errors: number }): void {
  if (depth > RECEIVED_ERROR_LIMITS.depth)
    fail(`remote error nested deeper than ${RECEIVED_ERROR_LIMITS.depth} levels`);
  if (++count.errors > RECEIVED_ERROR_LIMITS.errors)
    fail(`remote error holding more than ${RECEIVED_ERROR_LIMITS.errors} errors`);
  if (!isMap(v)) fail('malformed nested error');
  const e = v as Record<string, unknown>;
  if (e['type'] === 'remote') checkRemoteError(e, depth, count);
  else if (e['type'] !== 'value') fail('unknown nested error type');
}

/** Checks an error payload (the third element of an Error message, or a scheduler task's failure). */
export function checkWireError(v: unknown): WireError {
  if (typeof v !== 'object' || v === null) fail('error payload is not an object');
  const e = v as Record<string, unknown>;
  switch (e['type']) {
    case 'remote':
      checkRemoteError(e, 0, { errors: 0 });
      break;
    case 'validation':
      if (
        (e['side'] !== 'input' && e['side'] !== 'output') ||
        !Array.isArray(e['issues']) ||
        !e['issues'].every(isIssue)
      ) {
        fail('malformed validation error');
      }
      break;
    case 'rpc':
      if (typeof e['code'] !== 'string' || typeof e['message'] !== 'string') fail('malformed rpc error');
      break;
    default:
      fail('unknown error type');
  }
  return e as WireError;
}

/** Checks the shape of a decoded frame. Cheap hand-written checks: this runs for every message. */
export function checkMessage(value: unknown): Message {
  if (!Array.isArray(value) || value.length === 0) fail('a message must be a non-empty array');
  const m = value as unknown[];
  switch (m[0]) {
    case Kind.Hello:
      ok(m, typeof m[1] === 'string' && typeof m[2] === 'number' && isBytes(m[3]) && typeof m[4] === 'string');
      break;
    case Kind.Auth:
      ok(m, m[1] === null || isBytes(m[1]));
      break;
    case Kind.Menu:
      ok(
        m,
        Array.isArray(m[1]) &&
          (m[1] as unknown[]).every((e) => Array.isArray(e) && typeof e[0] === 'string' && isId(e[1])),
      );
      // The window is optional so that a peer written before it existed still interoperates (with ours assumed).
      ok(m, m[2] === undefined || (isId(m[2]) && m[2] > 0));
      break;
    case Kind.Query:
      ok(m, m.length === 5 && isId(m[1]) && typeof m[2] === 'string' && isId(m[3]));
      break;
    case Kind.Result:
      ok(m, m.length === 3 && isId(m[1]));
      break;
    case Kind.Error:
      ok(m, isId(m[1]));
      m[2] = checkWireError(m[2]);
      break;
    case Kind.DownItems:
    case Kind.UpItems:
      ok(m, isId(m[1]) && Array.isArray(m[2]));
      break;
    case Kind.DownEnd:
    case Kind.UpEnd:
      ok(m, isId(m[1]));
      break;
    case Kind.DownCredit:
    case Kind.UpCredit:
      ok(m, isId(m[1]) && typeof m[2] === 'number' && m[2] > 0 && Number.isFinite(m[2]));
      break;
    case Kind.Cancel:
      ok(m, isId(m[1]) && typeof m[2] === 'string');
      break;
    case Kind.Heartbeat:
      break;
    case Kind.Close:
      ok(m, typeof m[1] === 'string' && (m[2] === null || m[2] === undefined || typeof m[2] === 'string'));
      break;
    default:
      fail(`unknown message kind ${String(m[0]).slice(0, 20)}`);
  }
  return m as Message;
}
