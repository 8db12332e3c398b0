import { copyFileSync, existsSync } from 'node:fs';
import {
  AuditLogRepository,
  CredentialRepository,
  cipherIntegrityCheck,
  Db,
  deriveKey,
  isPlainSqliteFile,
  openDatabase,
  transaction,
} from '../../../../libs/db/src';
import { credentialHash, decryptCredential, encryptCredential, openWebhookSecret, sealWebhookSecret } from '../../../../libs/integrations/src';
import { BlobStore } from '../../../../libs/storage/src';
import { CliError } from '../cli-io';

/**
 * Key changes need the file to ourselves: SQLite3MC 2.3.5 cannot rekey in WAL mode, so we checkpoint, leave
 * WAL, rekey and return to it. Leaving WAL fails while another process has the file open, which is the check
 * that the API and the worker are stopped.
 */
export function leaveWal(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  let mode: unknown;
  try {
    mode = db.pragma('journal_mode = DELETE', { simple: true });
  } catch (err) {
    throw new CliError(`the database is in use (${(err as Error).message}); stop the API and the worker first`);
  }
  if (mode !== 'delete') throw new CliError('the database is in use by another process; stop the API and the worker first');
}

export function backupPath(path: string, label: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${path}.${label}-${stamp}`;
}

/** Copies the main file once the WAL is checkpointed into it: a complete, consistent copy. */
export function copyAside(db: Db, path: string, label: string): string {
  leaveWal(db);
  const dest = backupPath(path, label);
  if (existsSync(dest)) throw new CliError(`backup ${dest} already exists`);
  copyFileSync(path, dest);
  return dest;
}

export interface KeyChange {
  path: string;
  dataDir: string;
  oldKey: string | null;
  newKey: string;
  action: 'db_encrypt' | 'db_rekey';
  backupLabel: string;
}

export interface KeyChangeResult {
  backup: string;
  auditEntries: number;
  blobsRewrapped: number;
}

/**
 * Moves the database, and everything whose key derives from the database key, to a new key: the audit
 * chain is re-signed (after it verifies under the old key), the pages are re-encrypted, and every blob's
 * file key is rewrapped. A failure midway leaves the backup to restore; a rerun of the blob step is safe.
 */
export async function changeKey(change: KeyChange): Promise<KeyChangeResult> {
  const db = openDatabase({ path: change.path, key: change.oldKey });
  let backup: string;
  let auditEntries: number;
  try {
    if (change.oldKey === null && !isPlainSqliteFile(change.path)) throw new CliError('the database is already encrypted');
    const audit = new AuditLogRepository(db, deriveKey(change.oldKey, 'audit-hmac'));
    backup = copyAside(db, change.path, change.backupLabel);
    const rechained = transaction(db, () => {
      reencryptCredentials(db, change.oldKey, change.newKey);
      reencryptWebhookSecrets(db, change.oldKey, change.newKey);
      return audit.rechain(deriveKey(change.newKey, 'audit-hmac'));
    });
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    db.rekey(Buffer.from(change.newKey, 'utf8'));
    db.pragma('journal_mode = WAL');
    transaction(db, () =>
      rechained.append({ action: change.action, entity_type: 'database', entity_id: 'tftsr.db', details: { backup_file: backup.split('/').pop() } }),
    );
    auditEntries = (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
  } finally {
    db.close();
  }
  verifyReopens(change.path, change.newKey);
  const blobs = new BlobStore(change.dataDir, deriveKey(change.oldKey, 'blob-encryption'));
  const blobsRewrapped = await blobs.rewrapAll(deriveKey(change.newKey, 'blob-encryption'));
  return { backup, auditEntries, blobsRewrapped };
}

/**
 * Integration credentials are encrypted under a key derived from the database key, so they move with it.
 * One that does not decrypt under the old key stops the rotation: it would otherwise be lost for good.
 */
function reencryptCredentials(db: Db, oldKey: string | null, newKey: string): number {
  const credentials = new CredentialRepository(db);
  const from = deriveKey(oldKey, 'credential-encryption');
  const to = deriveKey(newKey, 'credential-encryption');
  const rows = credentials.listAll();
  for (const row of rows) {
    let secret: string;
    try {
      secret = decryptCredential(row.encrypted_token, row.service, from);
    } catch (err) {
      throw new CliError(`${(err as Error).message}; nothing was changed (re-enter that credential, then rekey)`);
    }
    credentials.replaceEncryptedToken(row.id, encryptCredential(secret, row.service, to));
    credentials.replaceTokenHash(row.id, credentialHash(secret, deriveKey(newKey, 'credential-token-hmac')));
  }
  return rows.length;
}

/** Webhook endpoints' URLs and signing secrets move with the database key too (label `webhook-encryption`). */
function reencryptWebhookSecrets(db: Db, oldKey: string | null, newKey: string): number {
  const from = deriveKey(oldKey, 'webhook-encryption');
  const to = deriveKey(newKey, 'webhook-encryption');
  const rows = db.prepare('SELECT id, encrypted_url, encrypted_secret FROM webhook_endpoints').all() as Array<{ id: string; encrypted_url: string; encrypted_secret: string | null }>;
  const update = db.prepare('UPDATE webhook_endpoints SET encrypted_url = ?, encrypted_secret = ? WHERE id = ?');
  for (const row of rows) {
    const url = openWebhookSecret(row.encrypted_url, row.id, from);
    const secret = row.encrypted_secret === null ? null : openWebhookSecret(row.encrypted_secret, row.id, from);
    if (url === null || (row.encrypted_secret !== null && secret === null)) throw new CliError(`webhook endpoint ${row.id} does not decrypt; nothing was changed (delete and re-create it, then rekey)`);
    update.run(sealWebhookSecret(url, row.id, to), secret === null ? null : sealWebhookSecret(secret, row.id, to), row.id);
  }
  return rows.length;
}

/** Proves the result: it opens with the new key, every page authenticates, and the chain verifies. */
export function verifyReopens(path: string, key: string): void {
  const db = openDatabase({ path, key });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new CliError(`integrity_check failed after the key change: ${String(integrity)}`);
    const chain = new AuditLogRepository(db, deriveKey(key, 'audit-hmac')).verify();
    if (!chain.intact) throw new CliError(`the audit chain does not verify after the key change: ${chain.first_broken.reason}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const pages = cipherIntegrityCheck(path, key);
  if (pages.badPages.length > 0) throw new CliError(`pages fail authentication after the key change: ${pages.badPages.join(', ')}`);
}
