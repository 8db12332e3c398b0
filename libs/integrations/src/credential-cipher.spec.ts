import { randomBytes } from 'node:crypto';
import {
  credentialHash,
  CredentialIntegrityError,
  decryptCredential,
  encryptCredential,
  isLegacyCredentialHash,
} from './credential-cipher';

const KEY = randomBytes(32);
const CANARY = 'canary-pat-3f9c1e7a0b';

describe('credential cipher', () => {
  it('round-trips a secret, in the seed’s base64(nonce || ciphertext || tag) format', () => {
    const stored = encryptCredential(CANARY, 'azuredevops', KEY);
    const raw = Buffer.from(stored, 'base64');
    expect(raw.length).toBe(12 + Buffer.byteLength(CANARY) + 16);
    expect(stored).not.toContain(CANARY);
    expect(decryptCredential(stored, 'azuredevops', KEY)).toBe(CANARY);
  });

  it('uses a fresh nonce each time', () => {
    expect(encryptCredential(CANARY, 'confluence', KEY)).not.toBe(encryptCredential(CANARY, 'confluence', KEY));
  });

  it('fails closed on a flipped tag, a flipped ciphertext byte, truncation and another key', () => {
    const raw = Buffer.from(encryptCredential(CANARY, 'servicenow', KEY), 'base64');
    const flip = (i: number) => {
      const copy = Buffer.from(raw);
      copy[i] ^= 1;
      return copy.toString('base64');
    };
    for (const stored of [flip(raw.length - 1), flip(14), raw.subarray(0, 20).toString('base64')]) {
      expect(() => decryptCredential(stored, 'servicenow', KEY)).toThrow(CredentialIntegrityError);
    }
    expect(() => decryptCredential(raw.toString('base64'), 'servicenow', randomBytes(32))).toThrow(CredentialIntegrityError);
  });

  it('refuses a ciphertext moved to another service’s row', () => {
    const stored = encryptCredential(CANARY, 'confluence', KEY);
    expect(() => decryptCredential(stored, 'servicenow', KEY)).toThrow(CredentialIntegrityError);
  });

  it('never puts the secret in its error message', () => {
    const stored = encryptCredential(CANARY, 'confluence', KEY);
    try {
      decryptCredential(stored, 'azuredevops', KEY);
    } catch (err) {
      expect((err as Error).message).not.toContain(CANARY);
    }
    expect.assertions(1);
  });

  it('hashes the secret with an HMAC under its own key for the audit trail, never a bare SHA-256', () => {
    const hash = credentialHash('abc', KEY);
    expect(hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(hash).not.toContain('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(credentialHash('abc', Buffer.alloc(32, 9))).not.toBe(hash);
    expect(isLegacyCredentialHash(hash)).toBe(false);
    expect(isLegacyCredentialHash('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')).toBe(true);
  });
});
