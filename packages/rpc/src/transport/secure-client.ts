import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { RpcError } from '../errors.js';
import { PSK_IDENTITY, refusedTls, secureContext, tlsHandshakeError, tlsPsk } from './encryption.js';
import { tlsModule } from '../lazy-builtins.js';

/**
 * Runs a client's TLS handshake over a connected socket, keyed from `secret`, within `timeoutMs`. Resolves to the
 * encrypted stream the RPC handshake then runs over; on failure both it and `socket` are destroyed.
 */
export function secureClient(
  socket: Socket,
  secret: string | Uint8Array,
  timeoutMs: number,
  peer: string,
): Promise<TLSSocket> {
  // The TLS layer writes through this socket: without it, Nagle would hold back every small record.
  socket.setNoDelay(true);
  const psk = tlsPsk(secret);
  const tls = tlsModule().connect({
    socket,
    secureContext: secureContext(),
    pskCallback: () => ({ psk, identity: PSK_IDENTITY }),
    // No certificate to check: a peer without the key cannot complete the handshake at all.
    checkServerIdentity: () => undefined,
  });
  return new Promise((resolve, reject) => {
    let pending = true;
    const settle = (error?: RpcError): void => {
      if (!pending) return;
      pending = false;
      clearTimeout(timer);
      if (error === undefined) return resolve(tls);
      tls.destroy();
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        settle(
          new RpcError('HANDSHAKE_FAILED', `the TLS handshake with ${peer} did not complete within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    tls.once('secureConnect', () => settle());
    // `on`, not `once`: a second error while it is torn down must not go unheard (an unheard 'error' throws).
    tls.on('error', (error) => settle(tlsHandshakeError(error, peer)));
    tls.once('close', () => settle(refusedTls(peer)));
  });
}
