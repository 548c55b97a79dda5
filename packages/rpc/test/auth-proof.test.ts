// The handshake's proof and nonces, computed without `node:crypto`: the proof must be byte for byte the HMAC-SHA256
// the protocol specifies (peers built on `node:crypto`, or on an older Cohort, check it), and the nonces must be
// fresh random bytes whether or not `/dev/urandom` can be read.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authProof, newNonce, proofMatches } from '../src/protocol/handshake.js';
import { osRandomBytes } from '../src/protocol/os-random.js';
import { MAGIC, PROTOCOL_VERSION } from '../src/wire/messages.js';

const reference = (secret: string | Uint8Array, role: string, verifier: Uint8Array, prover: Uint8Array): Buffer =>
  createHmac('sha256', secret).update(`${MAGIC}/${PROTOCOL_VERSION}/${role}/`).update(verifier).update(prover).digest();

describe('authProof', () => {
  it("is node:crypto's HMAC-SHA256 over the protocol's text, for string and byte secrets of any length", () => {
    const secret = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uint8Array({ maxLength: 200 }));
    const nonce = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(secret, fc.constantFrom('client', 'server'), nonce, nonce, (s, role, verifier, prover) => {
        const proof = authProof(s, role, verifier, prover);
        expect(Buffer.from(proof)).toEqual(reference(s, role, verifier, prover));
      }),
      { numRuns: 300 },
    );
  });
});

describe('proofMatches', () => {
  const proof = authProof('s3cret', 'client', new Uint8Array(32), new Uint8Array(32));

  it('accepts the same bytes, as a Buffer or a Uint8Array', () => {
    expect(proofMatches(proof, Uint8Array.from(proof))).toBe(true);
    expect(proofMatches(proof, Buffer.from(proof))).toBe(true);
  });

  it('rejects a missing proof, a shorter or longer one, and one that differs in any single byte', () => {
    expect(proofMatches(proof, null)).toBe(false);
    expect(proofMatches(proof, proof.subarray(0, 31))).toBe(false);
    expect(proofMatches(proof, Uint8Array.from([...proof, 0]))).toBe(false);
    for (let i = 0; i < proof.length; i++) {
      const forged = Uint8Array.from(proof);
      forged[i]! ^= 1;
      expect(proofMatches(proof, forged)).toBe(false);
    }
  });
});

describe('nonces', () => {
  it('are 32 bytes, and never the same twice', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const nonce = newNonce();
      expect(nonce.length).toBe(32);
      seen.add(Buffer.from(nonce).toString('hex'));
    }
    expect(seen.size).toBe(1000);
  });

  it('come from node:crypto where the random device cannot be opened', () => {
    const bytes = osRandomBytes(32, '/nonexistent/urandom');
    expect(bytes.length).toBe(32);
    expect(bytes.equals(osRandomBytes(32, '/nonexistent/urandom'))).toBe(false);
  });

  it('come from node:crypto where the device gives out (reads end early)', () => {
    // /dev/null reads as empty: the loop must not return a half-filled buffer.
    const bytes = osRandomBytes(32, '/dev/null');
    expect(bytes.length).toBe(32);
    expect(bytes.equals(Buffer.alloc(32))).toBe(false);
  });
});
