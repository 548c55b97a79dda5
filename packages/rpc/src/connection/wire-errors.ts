import type { z } from 'zod';
import { describeThrown } from '../describe.js';
import { isRpcErrorCode, RemoteError, RpcError, ValidationError } from '../errors.js';
import type { WireError } from '../wire/messages.js';

/** What an implementation's failure looks like on the wire. Anything thrown is accepted, not only `Error`s. */
export function toWireError(error: unknown): WireError {
  if (error instanceof ValidationError) {
    const wire: WireError = { type: 'validation', side: error.side, what: error.what, issues: stripIssues(error.issues) };
    // A subject other than the RPC (a map-reduce's input, say) says more than the RPC's name would.
    if (error.subject !== error.rpc) wire.subject = error.subject;
    return wire;
  }
  if (error instanceof RpcError) return { type: 'rpc', code: error.code, message: error.message };
  if (error instanceof Error) {
    const wire: WireError = { type: 'remote', name: error.name, message: error.message };
    if (error.stack !== undefined) wire.stack = error.stack;
    const data = (error as { data?: unknown }).data;
    if (data !== undefined) wire.data = data;
    return wire;
  }
  return { type: 'remote', name: 'NonError', message: describeThrown(error) };
}

// zod issues may carry the offending input, which can be large or not encodable; the path and message suffice.
function stripIssues(issues: z.core.$ZodIssue[]): unknown[] {
  return issues.map(({ code, path, message }) => ({ code, path: path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message }));
}

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
      const init: ConstructorParameters<typeof RemoteError>[0] = { remoteName: wire.name, message: wire.message, rpc, peer };
      if (typeof wire.stack === 'string') init.remoteStack = wire.stack;
      if (wire.data !== undefined) init.data = wire.data;
      return new RemoteError(init);
    }
  }
}
