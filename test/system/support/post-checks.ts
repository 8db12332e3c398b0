import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainVerification, Db } from '@tftsr/db';
import {
  AuditLogRepository,
  cipherIntegrityCheck,
  deriveKey,
  LONGEST_SCAN_MS,
  openDatabase,
  SettingRepository,
  stuckLogFiles,
} from '@tftsr/db';
import { readPiiConfig, scanBuffer } from '@tftsr/pii';
import type { BlobStore } from '@tftsr/storage';
import { FsBlobStore, tempOwner } from '@tftsr/storage';

/** Up to this size a file is scanned again here and its stored spans compared one by one; above it, by count. */
const RESCAN_UP_TO_BYTES = 4 * 1024 * 1024;

export interface PostCheckOptions {
  dataDir: string;
  key: string;
  /** Log files the test got a 2xx for. Each must exist; every log file found, accepted or not, must be complete. */
  accepted: readonly string[];
  /** Where the blobs are, when not in the data directory (an S3-compatible bucket); the caller closes it. */
  blobs?: BlobStore;
}

export interface PostCheckReport {
  /** `PRAGMA integrity_check`: ['ok'] when healthy. */
  integrity: string[];
  cipher: { pages: number; badPages: number[] };
  audit: ChainVerification;
  filesChecked: number;
  /** One line per broken promise about a log file; empty when healthy. */
  fileProblems: string[];
  /** Staging, temporary files and stuck files (issue 22): one line per broken promise; empty when healthy. */
  leftovers: string[];
}

interface FileRow {
  id: string;
  file_path: string;
  file_size: number | null;
  content_hash: string | null;
  redacted: number;
  hash_state: string | null;
  scan_state: string | null;
  pii_counts: string | null;
}

/**
 * What must hold after any fault (issue 7): the file is sound (integrity_check and every page's HMAC), the
 * audit chain verifies, and every accepted upload was hashed and scanned once, with exactly one complete set
 * of spans. Opens its own connection, so it can run beside the apps; it never creates a database.
 */
export async function runPostChecks(options: PostCheckOptions): Promise<PostCheckReport> {
  const path = join(options.dataDir, 'tftsr.db');
  if (!existsSync(path)) throw new Error(`post-checks: no database at ${path}`);
  const db = openDatabase({ path, key: options.key });
  try {
    // A damaged page makes SQLite throw (SQLITE_CORRUPT) instead of answering: that is a finding, not a crash.
    const integrity = attempt(
      () => (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check),
      (message) => [`error: ${message}`],
    );
    const cipher = checkPages(db, path, options.key);
    const audit = attempt(
      () => new AuditLogRepository(db, deriveKey(options.key, 'audit-hmac')).verify(),
      (message): ChainVerification => ({
        intact: false,
        entries: 0,
        first_broken: { id: null, position: 0, reason: `unreadable: ${message}` },
      }),
    );
    const blobs = options.blobs ?? new FsBlobStore(options.dataDir, deriveKey(options.key, 'blob-encryption'));
    const files = attempt(
      () =>
        db
          .prepare(
            `SELECT f.id, f.file_path, f.file_size, f.content_hash, f.redacted, p.hash_state, p.scan_state, p.pii_counts
             FROM log_files f LEFT JOIN log_file_processing p ON p.log_file_id = f.id ORDER BY f.id`,
          )
          .all() as FileRow[],
      (message) => message,
    );
    const leftovers = attempt(
      () => [...checkStaging(db), ...checkStuck(db), ...checkTempFiles(options.dataDir)],
      (message) => [`leftover checks failed: ${message}`],
    );
    if (typeof files === 'string')
      return { integrity, cipher, audit, filesChecked: 0, fileProblems: [`log files unreadable: ${files}`], leftovers };
    const found = new Set(files.map((f) => f.id));
    const fileProblems = options.accepted
      .filter((id) => !found.has(id))
      .map((id) => `${id}: accepted with a 2xx, but there is no such log file`);
    const facts = attempt(
      () => gatherFacts(db),
      (message) => message,
    );
    if (typeof facts === 'string')
      return { integrity, cipher, audit, filesChecked: 0, fileProblems: [`job and span records unreadable: ${facts}`], leftovers };
    for (const file of files) {
      const problems = await checkFile(db, blobs, facts, file).catch((err: Error) => [`unreadable: ${err.message}`]);
      fileProblems.push(...problems.map((p) => `${file.id}: ${p}`));
    }
    return { integrity, cipher, audit, filesChecked: files.length, fileProblems, leftovers };
  } finally {
    db.close();
  }
}

/** Every problem of a report, one line each; empty means every promise held. */
export function problemsOf(report: PostCheckReport): string[] {
  const problems: string[] = [];
  if (report.integrity.join() !== 'ok') problems.push(`integrity_check: ${report.integrity.slice(0, 5).join('; ')}`);
  if (report.cipher.badPages.length)
    problems.push(`cipher check: page(s) ${report.cipher.badPages.join(', ')} of ${report.cipher.pages} fail authentication`);
  if (!report.audit.intact)
    problems.push(`audit chain broken at ${report.audit.first_broken.position}: ${report.audit.first_broken.reason}`);
  return [...problems, ...report.fileProblems, ...report.leftovers];
}

/**
 * Original values live only where a scan is running or a file is not finalized: no staged span (hidden, of a scan
 * run under way: pii_scan_runs) of a file whose
 * scan finished, none older than the longest scan, and no original value kept for a finalized file.
 */
function checkStaging(db: Db): string[] {
  const problems: string[] = [];
  const finished = db
    .prepare(
      `SELECT count(*) FROM pii_spans s JOIN pii_scan_runs w ON w.run_id = s.scan_run_id AND w.log_file_id = s.log_file_id LEFT JOIN log_file_processing p ON p.log_file_id = s.log_file_id
       WHERE p.log_file_id IS NULL OR p.scan_state IN ('done', 'failed')`,
    )
    .pluck()
    .get() as number;
  if (finished) problems.push(`scan runs: ${finished} hidden span(s) of files whose scan has finished`);
  const old = db
    .prepare(
      'SELECT count(*) FROM pii_spans s JOIN pii_scan_runs w ON w.run_id = s.scan_run_id AND w.log_file_id = s.log_file_id WHERE w.started_at < ?',
    )
    .pluck()
    .get(Date.now() - LONGEST_SCAN_MS) as number;
  if (old) problems.push(`scan runs: ${old} hidden span(s) of scans begun before the longest possible scan`);
  const unwiped = db
    .prepare(
      `SELECT count(*) FROM pii_spans s JOIN log_file_review r ON r.log_file_id = s.log_file_id WHERE r.finalized_at IS NOT NULL AND s.original_value <> ''`,
    )
    .pluck()
    .get() as number;
  if (unwiped) problems.push(`pii_spans: ${unwiped} original value(s) kept for finalized files`);
  const stagedFinal = db
    .prepare(
      `SELECT count(*) FROM pii_spans s JOIN pii_scan_runs w ON w.run_id = s.scan_run_id AND w.log_file_id = s.log_file_id JOIN log_file_review r ON r.log_file_id = s.log_file_id WHERE r.finalized_at IS NOT NULL`,
    )
    .pluck()
    .get() as number;
  if (stagedFinal) problems.push(`scan runs: ${stagedFinal} hidden span(s), original values included, of finalized files`);
  return problems;
}

/** No file is left neither ready nor failed with no job that will ever move it. */
function checkStuck(db: Db): string[] {
  const stuck = stuckLogFiles(db, 100 * 365 * 24 * 3600 * 1000); // only files no job will ever move
  return stuck.count ? [`stuck files: ${stuck.count} file(s) not finished and no open job for them (${stuck.ids.join(', ')})`] : [];
}

/** No partial file in blobs/tmp whose writer is gone: a crash's leftovers are swept at start. */
function checkTempFiles(dataDir: string): string[] {
  const dir = join(dataDir, 'blobs', 'tmp');
  if (!existsSync(dir)) return [];
  const orphans = readdirSync(dir).filter((name) => name.endsWith('.part') && ['gone', 'unknown'].includes(tempOwner(name)));
  return orphans.length ? [`blobs/tmp: ${orphans.length} partial file(s) whose writer is gone: ${orphans.slice(0, 3).join(', ')}`] : [];
}

/**
 * Runs the checks and throws with every broken promise listed. Plain code, no jest: the soak benchmark
 * (bench/soak) runs the same checks.
 */
export async function expectIntactAfterFault(options: PostCheckOptions): Promise<PostCheckReport> {
  const report = await runPostChecks(options);
  const problems = problemsOf(report);
  if (problems.length > 0) throw new Error(`post-checks found ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  return report;
}

function attempt<T, F>(read: () => T, onError: (message: string) => F): T | F {
  try {
    return read();
  } catch (err) {
    return onError((err as Error).message);
  }
}

function checkPages(db: Db, path: string, key: string): { pages: number; badPages: number[] } {
  // Fold the WAL in first; the check reads again a page torn by a checkpoint, and finds in the WAL what is not yet in the file.
  db.pragma('wal_checkpoint(PASSIVE)');
  return cipherIntegrityCheck(path, key);
}

/** Per-file counts, each gathered in one query, so that the checks stay linear in the number of files. */
interface FileFacts {
  openJobs: Map<string, number>;
  staged: Map<string, number>;
  /** Keyed `action:log_file_id`. */
  audits: Map<string, number>;
  /** The span count the file's latest scan recorded in its audit entry. */
  recordedSpans: Map<string, number>;
  spans: Map<string, number>;
  duplicateSpans: Map<string, number>;
  piiConfig: ReturnType<typeof readPiiConfig>;
}

function gatherFacts(db: Db): FileFacts {
  const counts = (sql: string) => new Map((db.prepare(sql).all() as { id: string; n: number }[]).map((r) => [r.id, r.n]));
  return {
    openJobs: counts(`SELECT json_extract(payload, '$.log_file_id') AS id, count(*) AS n FROM outbox WHERE state != 'done' GROUP BY 1`),
    staged: counts(
      'SELECT s.log_file_id AS id, count(*) AS n FROM pii_spans s JOIN pii_scan_runs w ON w.run_id = s.scan_run_id AND w.log_file_id = s.log_file_id GROUP BY s.log_file_id',
    ),
    audits: counts(
      `SELECT action || ':' || entity_id AS id, count(*) AS n FROM audit_log
       WHERE action IN ('hash_log_file', 'detect_pii', 'apply_redactions') GROUP BY action, entity_id`,
    ),
    recordedSpans: counts(
      `SELECT entity_id AS id, json_extract(details, '$.span_count') AS n FROM audit_log
       WHERE rowid IN (SELECT max(rowid) FROM audit_log WHERE action = 'detect_pii' GROUP BY entity_id)`,
    ),
    spans: counts('SELECT log_file_id AS id, count(*) AS n FROM pii_spans GROUP BY log_file_id'),
    duplicateSpans: counts(
      `SELECT log_file_id AS id, count(*) AS n FROM (
         SELECT log_file_id FROM pii_spans GROUP BY log_file_id, pii_type, start_offset, end_offset HAVING count(*) > 1)
       GROUP BY log_file_id`,
    ),
    piiConfig: readPiiConfig(new SettingRepository(db)),
  };
}

async function checkFile(db: Db, blobs: BlobStore, facts: FileFacts, file: FileRow): Promise<string[]> {
  const problems: string[] = [];
  if (file.hash_state !== 'done' || file.scan_state !== 'done')
    problems.push(`processing is hash=${file.hash_state} scan=${file.scan_state}, not done`);
  const open = facts.openJobs.get(file.id) ?? 0;
  if (open) problems.push(`${open} outbox job(s) not done`);
  const staged = facts.staged.get(file.id) ?? 0;
  if (staged) problems.push(`${staged} hidden span(s) of unfinished scan runs`);
  for (const action of ['hash_log_file', 'detect_pii']) {
    const n = facts.audits.get(`${action}:${file.id}`) ?? 0;
    if (n !== 1) problems.push(`${n} ${action} audit entries, expected exactly 1 (the job's effect happened ${n} times)`);
  }

  const content = await readBlob(blobs, file.file_path, file.file_size !== null && file.file_size <= RESCAN_UP_TO_BYTES);
  if ('error' in content) return [...problems, `stored content unreadable: ${content.error}`];
  if (content.sha256 !== file.content_hash) problems.push(`content_hash ${file.content_hash} but the blob hashes to ${content.sha256}`);
  if (content.size !== file.file_size) problems.push(`file_size ${file.file_size} but the blob holds ${content.size} bytes`);

  const spans = facts.spans.get(file.id) ?? 0;
  const duplicates = facts.duplicateSpans.get(file.id) ?? 0;
  if (duplicates) problems.push(`${duplicates} span(s) stored more than once`);
  const recorded = facts.recordedSpans.get(file.id);
  if (typeof recorded === 'number' && recorded !== spans) problems.push(`${spans} spans stored, but the scan recorded ${recorded}`);
  const byType = file.pii_counts ? Object.values(JSON.parse(file.pii_counts) as Record<string, number>).reduce((a, b) => a + b, 0) : 0;
  if (byType !== spans) problems.push(`${spans} spans stored, but the processing counts add up to ${byType}`);
  if (content.bytes) problems.push(...compareWithFreshScan(db, facts.piiConfig, file.id, content.bytes));
  if (file.redacted === 1) problems.push(...(await checkRedaction(db, blobs, facts, file.id)));
  return problems;
}

/** The span set a scan of the stored bytes finds now, with the settings in force, must be the stored set. */
function compareWithFreshScan(db: Db, config: ReturnType<typeof readPiiConfig>, fileId: string, bytes: Buffer): string[] {
  const key = (s: { pii_type: string; start: number; end: number }) => `${s.pii_type}@${s.start}-${s.end}`;
  const expected = scanBuffer(bytes, config).map((s) => key(s));
  const stored = (
    db
      .prepare(
        'SELECT pii_type, start_offset AS start, end_offset AS "end" FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset, end_offset',
      )
      .all(fileId) as {
      pii_type: string;
      start: number;
      end: number;
    }[]
  ).map(key);
  if (stored.join() === expected.join()) return [];
  const missing = expected.filter((s) => !stored.includes(s));
  const extra = stored.filter((s) => !expected.includes(s));
  return [
    `spans differ from a fresh scan: ${stored.length} stored, ${expected.length} expected; missing ${missing.slice(0, 3).join(' ')}; extra ${extra.slice(0, 3).join(' ')}`,
  ];
}

/** A redacted file has one current redaction, one audit per version, and a copy that reads back to its recorded hash. */
async function checkRedaction(db: Db, blobs: BlobStore, facts: FileFacts, fileId: string): Promise<string[]> {
  const rows = db
    .prepare('SELECT redacted_path, redacted_size, redacted_sha256, version FROM log_file_redactions WHERE log_file_id = ?')
    .all(fileId) as {
    redacted_path: string;
    redacted_size: number;
    redacted_sha256: string;
    version: number;
  }[];
  if (rows.length !== 1) return [`redacted = 1 but ${rows.length} redaction rows`];
  const problems: string[] = [];
  const audits = facts.audits.get(`apply_redactions:${fileId}`) ?? 0;
  if (audits !== rows[0].version) problems.push(`${audits} apply_redactions audit entries, expected one per version (${rows[0].version})`);
  const copy = await readBlob(blobs, rows[0].redacted_path, false);
  if ('error' in copy) problems.push(`redacted copy unreadable: ${copy.error}`);
  else if (copy.sha256 !== rows[0].redacted_sha256 || copy.size !== rows[0].redacted_size)
    problems.push('redacted copy does not match its recorded hash and size');
  return problems;
}

/** Decrypts (and so authenticates) the whole blob, hashing as it goes; keeps the bytes only when asked. */
async function readBlob(
  blobs: BlobStore,
  path: string,
  keep: boolean,
): Promise<{ sha256: string; size: number; bytes?: Buffer } | { error: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of blobs.openRead(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (keep) chunks.push(chunk as Buffer);
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { sha256: hash.digest('hex'), size, bytes: keep ? Buffer.concat(chunks) : undefined };
}
