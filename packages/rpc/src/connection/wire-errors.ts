import type { z } from 'zod';
import { isRpcErrorCode, RemoteError, RpcError, ValidationError } from '../errors.js';
import { checkWireError, type WireError } from '../wire/messages.js';
import { rebuildError, remoteFields } from './rebuild-thrown.js';
import { serializeThrown } from './serialize-thrown.js';

/**
 * What an implementation's failure looks like on the wire. Anything thrown is accepted, not only `Error`s, and
 * nothing it does (getters that throw, cycles, huge or exotic fields) makes this throw: see serialize-thrown.ts.
 */
export function toWireError(error: unknown): WireError {
  try {
    if (error instanceof ValidationError) {
      const wire: WireError = {
        type: 'validation',
        side: error.side,
        what: error.what,
        issues: stripIssues(error.issues),
      };
      // A subject other than the RPC (a map-reduce's input, say) says more than the RPC's name would.
      if (error.subject !== error.rpc) wire.subject = error.subject;
      return wire;
    }
    if (error instanceof RpcError) return { type: 'rpc', code: error.code, message: error.message };
  } catch {
    // `instanceof` on a revoked proxy throws: it is no error of ours, and serializeThrown copes with it.
  }
  return serializeThrown(error);
}

// zod issues may carry the offending input, which can be large or not encodable; the path and message suffice.
function stripIssues(issues: z.core.$ZodIssue[]): unknown[] {
  return issues.map(({ code, path, message }) => ({
    code,
    path: path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message,
  }));
}

/** The error a caller gets for a checked wire error: `rpc` names the call, `peer` the side that failed it. */
export function fromWireError(wire: WireError, rpc: string, peer: string): Error {
  switch (wire.type) {
    case 'validation':
      return new ValidationError({
        side: wire.side,
        rpc,
        ...(typeof wire.subject === 'string' ? { subject: wire.subject.slice(0, 200) } : {}),
        issues: wire.issues as z.core.$ZodIssue[],
        ...(typeof wire.what === 'string' ? { what: wire.what.slice(0, 200) } : {}),
      });
    case 'rpc': {
      return new RpcError(isRpcErrorCode(wire.code) ? wire.code : 'PROTOCOL', wire.message, { rpc });
    }
    case 'remote': {
      const init: ConstructorParameters<typeof RemoteError>[0] = {
        remoteName: wire.name,
        message: wire.message,
        rpc,
        peer,
        remoteFields: remoteFields(wire),
        cause: rebuildError(wire),
      };
      if (typeof wire.stack === 'string') init.remoteStack = wire.stack;
      if (wire.data !== undefined) init.data = wire.data;
      if (wire.code !== undefined) init.remoteCode = wire.code;
      return new RemoteError(init);
    }
  }
}

/**
 * An error payload that did not come in an Error message (a scheduler task's failure travels in its result): checked
 * as the wire checks one, then made the caller's error. `undefined` when it is malformed.
 */
export function errorFromWire(value: unknown, rpc: string, peer: string): Error | undefined {
  try {
    return fromWireError(checkWireError(value), rpc, peer);
  } catch {
    return undefined;
  }
}
