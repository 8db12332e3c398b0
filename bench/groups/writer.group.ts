import Database from 'better-sqlite3-multiple-ciphers';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, NewPiiSpan } from '@tftsr/db';
import { loadMigrations, migrate, newId, openDatabase, PiiSpanRepository, toDbTimestamp, transaction } from '@tftsr/db';
import { DB_KEY } from '../support/app-stack';
import type { BenchGroup } from '../support/context';
import { alternate, seconds } from '../support/stats';

/** The worker's span batch (WRITE_BATCH in apps/worker/src/pii-scan.service.ts): one transaction each. */
const WRITE_BATCH = 5000;

/** Spans as a scan of ordinary logs finds them: mostly addresses, some e-mail addresses and UUIDs. */
function scanSpans(n: number): NewPiiSpan[] {
  const spans: NewPiiSpan[] = [];
  let offset = 0;
  for (let i = 0; i < n; i += 1) {
    const kind = i % 10;
    const value =
      kind < 6
        ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
        : kind < 9
          ? `user${i % 40_000}@example.org`
          : `3f1c${i.toString(16).padStart(4, '0')}-9a2b-4c1d-8e7f-0a1b2c3d4e5f`;
    const pii_type = kind < 6 ? 'IPv4' : kind < 9 ? 'Email' : 'UUID';
    offset += 40 + (i % 120);
    spans.push({ pii_type, start_offset: offset, end_offset: offset + value.length, original_value: value, replacement: `[${pii_type}]` });
  }
  return spans;
}

/** A fresh log file row for one run's spans, as an upload leaves it. */
function newLogFile(db: Db, issueId: string): string {
  const id = newId();
  db.prepare(
    `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, mime_type, content_hash, uploaded_at)
     VALUES (?, ?, 'scan.log', 'none', 0, 'text/plain', 'bench', ?)`,
  ).run(id, issueId, toDbTimestamp());
  return id;
}

/**
 * The ceiling of one writer host (issue 19): the rate at which the worker's write path commits one scan run's
 * spans into the encrypted database (PiiSpanRepository: beginRun + writeRun per 5,000-span transaction, then
 * publishRun with the last batch in the finishing transaction), against a plain INSERT loop into an unencrypted
 * SQLite file with the same pii_spans table and indexes, the same batches, WAL and synchronous=FULL.
 */
export const writerGroup: BenchGroup = {
  name: 'Writer ceiling',
  needs: { 'writer-ceiling': [] },
  async run(ctx) {
    const n = ctx.scale.writerSpans;
    const spans = scanSpans(n);
    const dir = join(ctx.scratch, 'db');
    mkdirSync(dir, { recursive: true });

    const db = openDatabase({ path: join(dir, 'tftsr.db'), key: DB_KEY, synchronous: 'FULL' });
    migrate(db, loadMigrations());
    const issueId = newId();
    const now = toDbTimestamp();
    db.prepare(
      `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 'writer bench', 'high', 'open', ?, ?)`,
    ).run(issueId, now, now);
    const repo = new PiiSpanRepository(db);
    // The baseline's table: pii_spans and its indexes exactly as the migrations leave them.
    const ddl = (
      db.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'pii_spans' AND sql IS NOT NULL ORDER BY type DESC`).all() as {
        sql: string;
      }[]
    ).map((r) => r.sql);

    const plain = new Database(join(dir, 'plain.db'));
    plain.pragma('journal_mode = WAL');
    plain.pragma('synchronous = FULL');
    // A bare table: no log_files to reference, so no foreign-key check (ours checks one per span).
    plain.pragma('foreign_keys = OFF');
    for (const sql of ddl) plain.exec(sql);
    const plainInsert = plain.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );

    const ours = async (): Promise<number> => {
      const fileId = newLogFile(db, issueId);
      const runId = newId();
      const t = process.hrtime.bigint();
      let begun = false;
      let i = 0;
      // As PiiScanService.scan writes: every batch but the last in a transaction of its own...
      for (; i + WRITE_BATCH < n; i += WRITE_BATCH) {
        const batch = spans.slice(i, i + WRITE_BATCH);
        transaction(db, () => {
          if (!begun) repo.beginRun(runId, fileId);
          repo.writeRun(runId, fileId, batch);
        });
        begun = true;
      }
      // ...and the last in the finishing transaction, which swaps the run in (IngestProcessor's publishRun).
      const tail = spans.slice(i);
      const inserted = transaction(db, () => repo.publishRun(runId, fileId, tail, n, begun));
      const s = seconds(t);
      if (inserted !== n) throw new Error(`publishRun committed ${inserted} spans, expected ${n}`);
      return n / s;
    };
    const baseline = async (): Promise<number> => {
      const fileId = newId();
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i += WRITE_BATCH) {
        const batch = spans.slice(i, i + WRITE_BATCH);
        plain
          .transaction(() => {
            for (const s of batch)
              plainInsert.run(newId(), fileId, s.pii_type, s.start_offset, s.end_offset, s.original_value, s.replacement);
          })
          .immediate();
      }
      return n / seconds(t);
    };

    const cpu = ctx.pinning.clientCpu;
    try {
      const runs = await ctx.pinning.self(cpu, () => alternate(1, ctx.options.runs, ours, baseline));
      return {
        'writer-ceiling': {
          runs,
          warmups: 1,
          pinning: ctx.pinning.describe(`the bench process (both writers) pinned to CPU ${cpu}`),
          details: {
            spans_per_run: n,
            spans_per_transaction: WRITE_BATCH,
            transactions_per_run: Math.ceil(n / WRITE_BATCH),
            synchronous: 'FULL',
            journal_mode: 'WAL',
            cipher: 'SQLCipher 4 (AES-256-CBC, HMAC-SHA512), 4096-byte pages',
            database_bytes_after:
              (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number),
          },
        },
      };
    } finally {
      db.close();
      plain.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
