import type * as Tls from 'node:tls';

let tls: typeof Tls | undefined;

/**
 * `node:tls`, loaded on first use. Loading it costs about 15 ms, a large part of a worker's start, and the
 * connections between a master and its local workers are never encrypted.
 */
export function tlsModule(): typeof Tls {
  tls ??= process.getBuiltinModule('node:tls');
  return tls;
}
