import type { SecureContext } from 'node:tls';
import { RpcError, type RpcErrorCode } from '../errors.js';
import { MAGIC, PROTOCOL_VERSION } from '../wire/messages.js';
import { cryptoModule, tlsModule } from '../lazy-builtins.js';

/**
 * When a connection is encrypted (TLS 1.3, keyed from the shared secret): `'auto'` for TCP to a non-loopback
 * address, `'always'`, or `'never'`. See `RpcSettings.encryption`.
 */
export type Encryption = 'auto' | 'always' | 'never';

/** The PSK identity a client announces: fixed, since the key itself says which app this is. */
export const PSK_IDENTITY = `${MAGIC}/${PROTOCOL_VERSION}`;

/**
 * The TLS pre-shared key: HMAC-SHA256 of a fixed label under the secret, so the secret itself is never a TLS key
 * (nor the handshake's HMAC key). 32 bytes: the hash of both cipher suites below is SHA-256, which a TLS 1.3
 * external PSK must match.
 */
export function tlsPsk(secret: string | Uint8Array): Buffer {
  return cryptoModule().createHmac('sha256', secret).update(`${MAGIC}/${PROTOCOL_VERSION}/tls-psk`).digest();
}

/**
 * TLS 1.3 only, with its two SHA-256 AEAD suites (AES-GCM first: hardware AES on most machines). With a PSK,
 * OpenSSL also runs an (EC)DHE exchange (psk_dhe_ke), so every connection has keys of its own and a secret that
 * leaks later does not decrypt traffic recorded before. No certificate: the PSK authenticates both ends.
 */
export const TLS_OPTIONS = {
  minVersion: 'TLSv1.3',
  maxVersion: 'TLSv1.3',
  ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256',
} as const;

let context: SecureContext | undefined;

/** One context for every connection of the process, client and server alike: making one costs ~1 ms. */
export function secureContext(): SecureContext {
  context ??= tlsModule().createSecureContext(TLS_OPTIONS);
  return context;
}

/**
 * Whether a peer's IP address is this machine's loopback: 127.0.0.0/8, ::1, or 127.x mapped into IPv6. `undefined`
 * (a Unix socket has no address) counts as local too.
 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined || address === '') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Whether the side that opens a connection encrypts it: the client decides, the server follows (it recognises a
 * TLS ClientHello by its first byte). `remoteAddress` is the address actually connected to, after name resolution.
 */
export function clientEncrypts(encryption: Encryption, remoteAddress: string | undefined, hasSecret: boolean): boolean {
  if (encryption === 'never') return false;
  if (encryption === 'always') return true;
  return hasSecret && !isLoopback(remoteAddress);
}

/** `'always'` with nothing to derive a key from is a programming error, reported where the option is given. */
export function checkEncryptionSecret(
  encryption: Encryption,
  secret: string | Uint8Array | undefined,
  where: string,
): void {
  if (encryption === 'always' && secret === undefined) {
    throw new TypeError(`${where}: encryption 'always' needs a secret (the TLS key is derived from it)`);
  }
}

/** OpenSSL's own words without its location prefix: `decryption failed or bad record mac`. */
function opensslReason(error: Error): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : error.message;
}

const codeOf = (error: Error): string => String((error as NodeJS.ErrnoException).code ?? '');

/** Alerts a TLS 1.3 server sends when the client's PSK binder does not verify: the two keys differ. */
const WRONG_KEY =
  /BINDER_DOES_NOT_VERIFY|ALERT_ILLEGAL_PARAMETER|ALERT_DECRYPT_ERROR|ALERT_BAD_RECORD_MAC|DECRYPTION_FAILED/;
/** What OpenSSL says when the bytes that came back are not TLS at all: the peer answered in plain Cohort frames. */
const NOT_TLS = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|UNEXPECTED_EOF/;

/** A failed TLS handshake, as the `RpcError` a connecting client rejects with. */
export function tlsHandshakeError(error: Error, peer: string): RpcError {
  const code = codeOf(error);
  if (WRONG_KEY.test(code)) {
    return new RpcError(
      'AUTH_FAILED',
      `authentication failed: ${peer} does not know the shared secret (its TLS handshake failed: ${opensslReason(error)})`,
      { cause: error },
    );
  }
  if (code === 'ECONNRESET' || NOT_TLS.test(code)) return refusedTls(peer, error);
  return new RpcError('HANDSHAKE_FAILED', `the TLS handshake with ${peer} failed: ${opensslReason(error)}`, {
    cause: error,
  });
}

/** The peer hung up on a ClientHello, or answered it in plain frames: it does not take encrypted connections. */
export function refusedTls(peer: string, cause?: unknown): RpcError {
  return new RpcError(
    'HANDSHAKE_FAILED',
    `${peer} does not accept encrypted connections (it hung up or answered in plain during the TLS handshake): its ` +
      'encryption setting is "never", it has no secret, or its @cohort/rpc predates encryption. Give both sides the ' +
      'secret, or connect with encryption "never"',
    cause === undefined ? {} : { cause },
  );
}

/** Errors after the handshake that mean the encrypted stream was altered (or forged) on its way. */
const TAMPERED_HERE =
  /DECRYPTION_FAILED|BAD_RECORD_MAC|BAD_DECRYPT|RECORD_LAYER_FAILURE|WRONG_VERSION_NUMBER|LENGTH_TOO_LONG|BAD_LENGTH/;

/**
 * How an established encrypted connection that failed closes: who found what. `undefined` for an error that is
 * not TLS's (a reset, say), which closes as any socket error does.
 */
export function tlsStreamFailure(
  error: Error,
): { by: 'local' | 'remote'; reason: string; code: RpcErrorCode } | undefined {
  const code = codeOf(error);
  if (!code.startsWith('ERR_SSL_')) return undefined;
  const reason = opensslReason(error);
  if (code.includes('_ALERT_')) {
    // The peer's TLS layer refused what it received from us and said so before hanging up. OpenSSL names the alert
    // after the protocol that defined it, and OpenSSL 3.5 (Node 24) says 'ssl/tls' for them all: the name alone.
    return {
      by: 'remote',
      code: 'PROTOCOL',
      reason: `the peer found the encrypted stream altered on its way and closed it (TLS alert: ${reason.replace(/^(sslv3|tlsv1|ssl\/tls) alert /, '')})`,
    };
  }
  if (TAMPERED_HERE.test(code)) {
    return {
      by: 'local',
      code: 'PROTOCOL',
      reason: `protocol error: the encrypted stream failed its integrity check, its bytes were altered on the way (TLS: ${reason})`,
    };
  }
  return { by: 'local', code: 'PROTOCOL', reason: `protocol error: TLS failed: ${reason}` };
}
