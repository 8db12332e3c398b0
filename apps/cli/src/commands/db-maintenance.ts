import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crashIfArmed } from '@tftsr/config';
import type { AuditLogRepository, Db } from '@tftsr/db';
import {
  checkpointWal,
  CredentialRepository,
  cipherIntegrityCheck,
  DatabaseError,
  deriveKey,
  fsyncFile,
  integrityProblems,
  isPlainSqliteFile,
  openDatabase,
  rekeyDatabase,
  RepositorySet,
  setJournalMode,
  transaction,
  WebhookRepository,
} from '@tftsr/db';
import { credentialHash, decryptCredential, encryptCredential, openWebhookSecret, sealWebhookSecret } from '@tftsr/integrations';
import { CHUNK_FILE_KEY_LABEL, ChunkFiles, closeBlobStore, openBlobStore } from '@tftsr/storage';
import type { BlobStoreChoice } from '@tftsr/storage';
import { CliError } from '../cli-io';

/**
 * Key changes need the file to ourselves: SQLite3MC 2.3.5 cannot rekey in WAL mode, so we checkpoint, leave
 * WAL, rekey and return to it. Leaving WAL fails while another process has the file open, which is the check
 * that the API and the worker are stopped.
 */
export function leaveWal(db: Db): void {
  checkpointWal(db, 'TRUNCATE');
  let mode: unknown;
  try {
    mode = setJournalMode(db, 'DELETE');
  } catch (err) {
    throw new CliError(`the database is in use (${(err as Error).message}); stop the API and the worker first`);
  }
  if (mode !== 'delete') throw new CliError('the database is in use by another process; stop the API and the worker first');
}

export function backupPath(path: string, label: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${path}.${label}-${stamp}`;
}

export interface KeyChange {
  path: string;
  dataDir: string;
  /** Where the blobs to rewrap are; unset: the filesystem under dataDir. */
  blobStorage?: BlobStoreChoice;
  oldKey: string | null;
  newKey: string;
  action: 'db_encrypt' | 'db_rekey';
  backupLabel: string;
  /** Each step, as it starts: what it does and where the backup is. */
  say?: (line: string) => void;
  /** Test-only crash points (libs/config fault-injection); absent outside the fault suite. */
  faults?: FaultSettings;
}

export interface KeyChangeResult {
  backup: string;
  auditEntries: number;
  /** Keys rewrapped: of stored blobs, and of open log-stream chunks' append files. */
  blobsRewrapped: number;
  /** True when this run finished a key change that an earlier, interrupted run had started. */
  resumed: boolean;
}

interface FaultSettings {
  NODE_ENV: string;
  TFTSR_FAULT_INJECT?: string;
}

/**
 * What an unfinished key change left, beside the database: the backup it made and which new key it moves to (a
 * fingerprint, never the key). Present from the moment the backup is complete until every step is done.
 */
interface KeyChangeJournal {
  action: KeyChange['action'];
  backup: string;
  new_key_id: string;
  started_at: string;
}

export const journalPath = (dbPath: string) => `${dbPath}.key-change.json`;

/**
 * Moves the database, and everything whose key derives from the database key, to a new key. Every step is safe
 * to run again and finds out for itself what is already done, so a run killed at any point is finished by
 * running the same command again, whichever key the database is under by then (issue 22, item 2):
 * 1. backup under the old key: a temporary name, fsynced, renamed; the journal names it;
 * 2. the pages re-encrypted (SQLite3MC rekeys in one journaled transaction: old or new, never half);
 * 3. the audit chain re-signed and the credentials re-encrypted, with the audit entry, in one transaction;
 *    skipped where already under the new key;
 * 4. every blob's file key rewrapped (a blob that opens under the new key is skipped); then the journal goes.
 */
export async function changeKey(change: KeyChange): Promise<KeyChangeResult> {
  const say = change.say ?? (() => undefined);
  const journal = readJournal(change.path);
  const newKeyId = keyId(change.newKey);
  if (journal && journal.new_key_id !== newKeyId) {
    throw new CliError(
      `an unfinished ${journal.action} (started ${journal.started_at}, backup ${journal.backup}) moves to another new key: run it again with that new key to finish it, then change keys again`,
    );
  }
  const resumed = journal !== undefined;
  if (resumed) say(`resuming the ${journal.action} started ${journal.started_at}; the backup under the old key is ${journal.backup}`);
  let backup = journal?.backup ?? '';

  // Which key opens the database now: the old one (not yet rekeyed) or, on a rerun, maybe the new one.
  const underNew = resumed && opensWith(change.path, change.newKey);
  if (!underNew) {
    const db = openDatabase({ path: change.path, key: change.oldKey });
    try {
      if (change.oldKey === null && !isPlainSqliteFile(change.path)) throw new CliError('the database is already encrypted');
      leaveWal(db);
      // Nothing changes unless everything can move: a credential or a chain that fits neither key stops here.
      preflight(db, change.oldKey, change.newKey);
      if (!resumed) {
        backup = backupPath(change.path, change.backupLabel);
        say(`1/4 writing a backup of the database, still under the OLD key, to ${backup}`);
        writeBackup(change.path, backup, change.faults);
        writeJournal(change.path, { action: change.action, backup, new_key_id: newKeyId, started_at: new Date().toISOString() });
      }
      say(
        `2/4 re-encrypting the database pages under the new key (if this is interrupted, run the same command again; the backup is ${backup})`,
      );
      rekeyDatabase(db, change.newKey);
    } finally {
      db.close();
    }
  } else {
    const db = openDatabase({ path: change.path, key: change.newKey });
    try {
      leaveWal(db); // the same check that nothing else has the file open
    } finally {
      db.close();
    }
    say('2/4 the database pages are already under the new key');
  }
  if (change.faults) crashIfArmed(change.faults, 'exit-rekey-mid-rewrite');

  const db = openDatabase({ path: change.path, key: change.newKey });
  let auditEntries: number;
  try {
    say('3/4 re-signing the audit chain and re-encrypting integration credentials under the new key');
    const repositories = new RepositorySet(db, change.newKey);
    transaction(db, () => {
      const credentials = reencryptCredentials(repositories, change.oldKey, change.newKey);
      const moved = credentials + reencryptWebhookSecrets(repositories, change.oldKey, change.newKey);
      const chain = rechainUnlessDone(repositories, change.oldKey, change.newKey);
      if (chain.rechained || moved > 0 || !resumed) {
        chain.audit.append({
          action: change.action,
          entity_type: 'database',
          entity_id: 'tftsr.db',
          details: { backup_file: backup.split('/').pop() },
        });
      }
    });
    setJournalMode(db, 'WAL');
    auditEntries = repositories.audit().count();
  } finally {
    db.close();
  }
  verifyReopens(change.path, change.newKey);
  say(
    `4/4 rewrapping the key of every stored file under the new key (the backup ${backup} holds the database only: stored files are rewrapped in place, and a rerun finishes them)`,
  );
  const blobs = openBlobStore(change.blobStorage ?? { kind: 'filesystem' }, change.dataDir, deriveKey(change.oldKey, 'blob-encryption'));
  let blobsRewrapped: number;
  try {
    blobsRewrapped = await blobs.rewrapAll(deriveKey(change.newKey, 'blob-encryption'), () => {
      if (change.faults) crashIfArmed(change.faults, 'exit-rekey-mid-rewrap');
    });
  } finally {
    closeBlobStore(blobs);
  }
  // Open log-stream chunks' append files (the service is stopped): their keys are rewrapped in place, as blobs'.
  blobsRewrapped += await new ChunkFiles(change.dataDir, deriveKey(change.oldKey, CHUNK_FILE_KEY_LABEL)).rewrapAll(
    deriveKey(change.newKey, CHUNK_FILE_KEY_LABEL),
  );
  removeJournal(change.path);
  return { backup, auditEntries, blobsRewrapped, resumed };
}

/** A short fingerprint of a key, to recognise it again without keeping it. */
function keyId(key: string): string {
  return createHash('sha256').update(deriveKey(key, 'audit-hmac')).digest('hex').slice(0, 16);
}

function opensWith(path: string, key: string): boolean {
  try {
    openDatabase({ path, key, readonly: true }).close();
    return true;
  } catch (err) {
    if (err instanceof DatabaseError) return false;
    throw err;
  }
}

/** The main file, once the WAL is folded in, copied to a temporary name, fsynced, then renamed: whole or absent. */
function writeBackup(path: string, dest: string, faults?: FaultSettings): void {
  if (existsSync(dest)) throw new CliError(`backup ${dest} already exists`);
  const temp = `${dest}.partial`;
  for (const name of readdirSync(dirname(path))) {
    // Leftovers of a backup killed half written: never mistaken for a backup, and not needed.
    if (name.startsWith(`${basename(path)}.`) && name.endsWith('.partial')) rmSync(join(dirname(path), name), { force: true });
  }
  const from = openSync(path, 'r');
  const to = openSync(temp, 'wx', 0o600);
  try {
    const size = fstatSync(from).size;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let at = 0; at < size;) {
      const n = readSync(from, chunk, 0, chunk.length, at);
      writeSync(to, chunk, 0, n, at);
      at += n;
      if (faults && at >= size / 2) crashIfArmed(faults, 'exit-rekey-mid-backup');
    }
    fsyncSync(to);
  } finally {
    closeSync(from);
    closeSync(to);
  }
  renameSync(temp, dest);
  fsyncFile(dirname(dest));
}

function readJournal(dbPath: string): KeyChangeJournal | undefined {
  const path = journalPath(dbPath);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as KeyChangeJournal) : undefined;
}

function writeJournal(dbPath: string, journal: KeyChangeJournal): void {
  const path = journalPath(dbPath);
  const temp = `${path}.partial`;
  writeFileSync(temp, `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
  fsyncFile(temp);
  renameSync(temp, path);
  fsyncFile(dirname(path));
}

function removeJournal(dbPath: string): void {
  rmSync(journalPath(dbPath), { force: true });
  fsyncFile(dirname(dbPath));
}

/**
 * The chain re-signed under the new key, unless it already verifies under it (a rerun). One that verifies under
 * neither key stops the change: it was really edited, and re-signing would hide it.
 */
function rechainUnlessDone(
  repositories: RepositorySet,
  oldKey: string | null,
  newKey: string,
): { audit: AuditLogRepository; rechained: boolean } {
  const next = repositories.audit(newKey);
  if (next.verify().intact) return { audit: next, rechained: false };
  const previous = repositories.audit(oldKey);
  const check = previous.verify();
  if (!check.intact)
    throw new CliError(
      `the audit chain verifies under neither key (entry ${check.first_broken.position}: ${check.first_broken.reason}); nothing more was changed`,
    );
  return { audit: previous.rechain(deriveKey(newKey, 'audit-hmac')), rechained: true };
}

function preflight(db: Db, oldKey: string | null, newKey: string): void {
  const repositories = new RepositorySet(db, oldKey);
  const from = deriveKey(oldKey, 'credential-encryption');
  const to = deriveKey(newKey, 'credential-encryption');
  for (const row of repositories.get(CredentialRepository).listAll()) {
    if (decrypts(row.encrypted_token, row.service, from) || decrypts(row.encrypted_token, row.service, to)) continue;
    throw new CliError(
      `the stored ${row.service} credential does not decrypt under either key; nothing was changed (re-enter that credential, then rekey)`,
    );
  }
  const chain = repositories.audit(oldKey).verify();
  if (chain.intact || repositories.audit(newKey).verify().intact) return;
  throw new CliError(
    `the audit chain is broken at entry ${chain.first_broken.position}: ${chain.first_broken.reason}; nothing was changed`,
  );
}

/**
 * Integration credentials are encrypted under a key derived from the database key, so they move with it. One
 * already under the new key (a rerun) is left; one that decrypts under neither stops the change: it would be lost.
 */
function reencryptCredentials(repositories: RepositorySet, oldKey: string | null, newKey: string): number {
  const credentials = repositories.get(CredentialRepository);
  const from = deriveKey(oldKey, 'credential-encryption');
  const to = deriveKey(newKey, 'credential-encryption');
  let moved = 0;
  for (const row of credentials.listAll()) {
    if (decrypts(row.encrypted_token, row.service, to)) continue;
    let secret: string;
    try {
      secret = decryptCredential(row.encrypted_token, row.service, from);
    } catch (err) {
      throw new CliError(
        `the ${row.service} credential decrypts under neither key (${(err as Error).message}); re-enter that credential, then run the same command again`,
      );
    }
    credentials.replaceEncryptedToken(row.id, encryptCredential(secret, row.service, to));
    credentials.replaceTokenHash(row.id, credentialHash(secret, deriveKey(newKey, 'credential-token-hmac')));
    moved += 1;
  }
  return moved;
}

function decrypts(token: string, service: Parameters<typeof decryptCredential>[1], key: Buffer): boolean {
  try {
    decryptCredential(token, service, key);
    return true;
  } catch {
    return false;
  }
}

/** Webhook endpoints' URLs and signing secrets move with the database key too (label `webhook-encryption`). */
function reencryptWebhookSecrets(repositories: RepositorySet, oldKey: string | null, newKey: string): number {
  const from = deriveKey(oldKey, 'webhook-encryption');
  const to = deriveKey(newKey, 'webhook-encryption');
  const webhooks = repositories.get(WebhookRepository);
  const rows = webhooks.listEndpoints();
  let moved = 0;
  for (const row of rows) {
    // Resumable: a row an interrupted run already moved opens under the new key and is left as it is.
    if (openWebhookSecret(row.encrypted_url, row.id, to) !== null) continue;
    const url = openWebhookSecret(row.encrypted_url, row.id, from);
    const secret = row.encrypted_secret === null ? null : openWebhookSecret(row.encrypted_secret, row.id, from);
    if (url === null || (row.encrypted_secret !== null && secret === null))
      throw new CliError(`webhook endpoint ${row.id} does not decrypt; nothing was changed (delete and re-create it, then rekey)`);
    webhooks.reseal(row.id, sealWebhookSecret(url, row.id, to), secret === null ? null : sealWebhookSecret(secret, row.id, to));
    moved += 1;
  }
  return moved;
}

/** Proves the result: it opens with the new key, every page authenticates, and the chain verifies. */
export function verifyReopens(path: string, key: string): void {
  const db = openDatabase({ path, key });
  try {
    const integrity = integrityProblems(db);
    if (integrity.length > 0) throw new CliError(`integrity_check failed after the key change: ${integrity[0]}`);
    const chain = new RepositorySet(db, key).audit().verify();
    if (!chain.intact) throw new CliError(`the audit chain does not verify after the key change: ${chain.first_broken.reason}`);
    checkpointWal(db, 'TRUNCATE');
  } finally {
    db.close();
  }
  const pages = cipherIntegrityCheck(path, key);
  if (pages.badPages.length > 0) throw new CliError(`pages fail authentication after the key change: ${pages.badPages.join(', ')}`);
}
