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
 * `node:crypto`: about 8 ms to load (OpenSSL's start), and only the handshake needs it: loaded with the package, it
 * would delay a worker's start before anything else. The CommonJS object, not the ESM namespace, whose lazy getters
 * load modules no worker needs.
 */
export function cryptoModule(): typeof Crypto {
  return process.getBuiltinModule('node:crypto');
}
