import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { RpcErrorCode } from '../errors.js';
import { encodeFrame } from '../wire/codec.js';
import { Kind } from '../wire/messages.js';
import { TLS_OPTIONS, tlsPsk, type Encryption } from './encryption.js';
import { tlsModule } from '../lazy-builtins.js';

/**
 * The first byte of a TLS record that carries a handshake message, as a ClientHello does. A Cohort client's first
 * byte is the top byte of its Hello frame's length, 0 for any frame under 16 MiB: the two cannot be confused.
 */
const TLS_HANDSHAKE_RECORD = 0x16;

export interface AcceptOptions {
  readonly encryption: Encryption;
  readonly secret: string | Uint8Array | undefined;
  /** For the first byte and the TLS handshake together; the RPC handshake then has its own. */
  readonly timeoutMs: number;
}

/**
 * An accepted socket's stream, as its client chose it: the client decides whether to encrypt (it knows which
 * address it reached), and its first byte says which it did. Resolves to the socket itself (plain), to the TLS
 * stream once its handshake is done, or to `undefined` when the client was refused or went away (the socket is
 * then closed, or closing after a Close frame that says why). A plain socket comes paused: its reader resumes it.
 */
export function acceptStream(socket: Socket, options: AcceptOptions): Promise<Duplex | undefined> {
  // Until a connection listens, nothing else would: an unheard 'error' would end the process.
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    let pending = true;
    const finish = (stream: Duplex | undefined): void => {
      if (!pending) return;
      pending = false;
      clearTimeout(timer);
      socket.off('close', gone);
      resolve(stream);
    };
    const gone = (): void => finish(undefined);
    /** A plain client is told why, in its own protocol, before the socket closes. */
    const refuse = (reason: string, code: RpcErrorCode): void => {
      socket.end(encodeFrame([Kind.Close, reason, code], Number.MAX_SAFE_INTEGER));
      setTimeout(() => socket.destroy(), 2000).unref();
      finish(undefined);
    };
    let tls = false;
    const timer = setTimeout(() => {
      const reason = `handshake not completed within ${options.timeoutMs} ms`;
      // A client in the middle of its TLS handshake cannot read a plain frame.
      if (!tls) return refuse(reason, 'HANDSHAKE_FAILED');
      socket.destroy();
    }, options.timeoutMs);
    socket.once('close', gone);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] !== TLS_HANDSHAKE_RECORD) {
        if (options.encryption !== 'always') return finish(socket);
        return refuse(
          'the server accepts only encrypted connections (its encryption setting is "always"): connect with encryption "auto" or "always" and the secret',
          'HANDSHAKE_FAILED',
        );
      }
      if (options.encryption === 'never' || options.secret === undefined) {
        // Nothing to answer a ClientHello with: hanging up is all a TLS client can be told.
        socket.destroy();
        return finish(undefined);
      }
      const psk = tlsPsk(options.secret);
      // A TLS server of its own, handed this socket: only a TLSSocket accepted by a tls.Server reports the errors of
      // an established session as 'error' (a bare server-side TLSSocket keeps them to itself). One per connection
      // because its 'secureConnection' does not say which socket it came from; it costs ~0.3 ms once.
      const server = tlsModule().createServer({
        ...TLS_OPTIONS,
        handshakeTimeout: options.timeoutMs,
        pskCallback: () => psk,
      });
      server.once('secureConnection', (secured: TLSSocket) => finish(secured));
      // A wrong key (the client's PSK binder does not verify) or garbage: the client learns it from TLS's alert.
      server.once('tlsClientError', (_error, secured) => {
        secured.destroy();
        socket.destroy();
      });
      tls = true;
      // Reads what was unshifted above before anything new from the socket.
      server.emit('connection', socket);
    });
  });
}
