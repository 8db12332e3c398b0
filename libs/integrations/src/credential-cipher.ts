import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { IntegrationService } from './url-policy';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A stored credential that does not decrypt: tampered, moved to another service's row, or another key. */
export class CredentialIntegrityError extends Error {
  constructor(service: IntegrationService) {
    super(`the stored ${service} credential does not decrypt: it was altered, or the database key changed without re-encrypting it`);
    this.name = 'CredentialIntegrityError';
  }
}

/**
 * The seed's format for `credentials.encrypted_token`: base64(nonce || ciphertext || tag), AES-256-GCM with a
 * random 96-bit nonce. The key derives from the database key (label `credential-encryption`), and the service
 * name is authenticated as associated data, so a ciphertext copied into another service's row fails to open.
 */
export function encryptCredential(secret: string, service: IntegrationService, key: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(service));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

export function decryptCredential(stored: string, service: IntegrationService, key: Buffer): string {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length < NONCE_BYTES + TAG_BYTES) throw new CredentialIntegrityError(service);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(service));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new CredentialIntegrityError(service);
  }
}

const TOKEN_HASH_PREFIX = 'hmac-sha256:';

/**
 * `credentials.token_hash`, for the audit trail: an HMAC of the secret under its own derived key (label
 * `credential-token-hmac`), so that a backup or an audit export cannot be used to crack a weak secret offline.
 * The prefix tells it from the plain SHA-256 hex of older rows.
 */
export function credentialHash(secret: string, key: Buffer): string {
  return TOKEN_HASH_PREFIX + createHmac('sha256', key).update(secret, 'utf8').digest('hex');
}

/** A token_hash written before credentialHash was keyed: a bare SHA-256 of the secret. */
export function isLegacyCredentialHash(tokenHash: string): boolean {
  return !tokenHash.startsWith(TOKEN_HASH_PREFIX);
}

/** `credentials.expires_at` is the seed's TEXT timestamp (UTC, no zone); NULL never expires. */
export function credentialExpired(expiresAt: string | null, now = new Date()): boolean {
  return expiresAt !== null && Date.parse(`${expiresAt.replace(' ', 'T')}Z`) <= now.getTime();
}

function aad(service: IntegrationService): Buffer {
  return Buffer.from(`tftsr/credential/v1/${service}`, 'utf8');
}
