import { hkdfSync } from 'node:crypto';

/** Each purpose gets its own key, so a leak of one never exposes another, and none is the database key. */
export type KeyPurpose =
  | 'audit-hmac'
  | 'blob-encryption'
  | 'credential-encryption'
  | 'pii-value-id'
  | 'pii-pseudonym'
  | 'client-address-hmac'
  | 'credential-token-hmac'
  | 'webhook-encryption'
  // Open log-stream chunks' append files (libs/storage chunk-file.ts): never the blob key, which scanner hosts hold.
  | 'chunk-file-encryption';

const SALT = Buffer.from('tftsr-service/key-derivation', 'utf8');

export function deriveKey(databaseKey: string | null, purpose: KeyPurpose): Buffer {
  // A plain development database still gets distinct, deterministic keys; it protects nothing, by design.
  const ikm = Buffer.from(databaseKey ?? '', 'utf8');
  return Buffer.from(hkdfSync('sha256', ikm, SALT, Buffer.from(`tftsr/${purpose}/v1`, 'utf8'), 32));
}
