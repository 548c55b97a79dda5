import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MAGIC, PROTOCOL_VERSION } from '../wire/messages.js';

/** Which end opened the socket. Part of the signed text, so a proof can't be reflected back at its author. */
export type Role = 'client' | 'server';

export const NONCE_BYTES = 32;

export const newNonce = (): Uint8Array => randomBytes(NONCE_BYTES);

/**
 * HMAC-SHA256 over the prover's role and both nonces (the verifier's first). Each side proves it knows the secret
 * by signing the other side's fresh nonce; the secret itself never crosses the wire.
 */
export function authProof(secret: string | Uint8Array, proverRole: Role, verifierNonce: Uint8Array, proverNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret)
    .update(`${MAGIC}/${PROTOCOL_VERSION}/${proverRole}/`)
    .update(verifierNonce)
    .update(proverNonce)
    .digest();
}

export function proofMatches(expected: Buffer, received: Uint8Array | null): boolean {
  return received !== null && received.length === expected.length && timingSafeEqual(expected, received);
}
