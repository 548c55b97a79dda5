import type * as Crypto from 'node:crypto';
import type * as Tls from 'node:tls';

// Built-ins loaded on first use rather than with the package: every worker process loads this package as it starts,
// and these two are the costliest built-ins it uses.

let tls: typeof Tls | undefined;

/** `node:tls`: about 15 ms to load, and the connections between a master and its local workers are never encrypted. */
export function tlsModule(): typeof Tls {
  tls ??= process.getBuiltinModule('node:tls');
  return tls;
}

/**
 * `node:crypto`: 6 to 10 ms to load, and a worker reaching its master over a local socket never needs it (its
 * handshake hashes with bundled code, see protocol/handshake.ts): only encryption, and a nonce where `/dev/urandom`
 * cannot be read. The CommonJS object, not the ESM namespace, whose lazy getters load modules no worker needs.
 */
export function cryptoModule(): typeof Crypto {
  return process.getBuiltinModule('node:crypto');
}
