import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Db } from '@tftsr/db';
import {
  AuditLogRepository,
  CredentialRepository,
  deriveKey,
  DocumentRepository,
  IntegrationConfigRepository,
  IssueRepository,
  LogFileRepository,
  offLoopGroupCommit,
  openAndMigrate,
  openDatabase,
  OutboxRepository,
  PublicationRepository,
  ResolutionStepRepository,
  SettingRepository,
  WebhookRepository,
} from '@tftsr/db';
import { DocumentsService } from '@tftsr/api/documents/documents.service';
import type { OutboxRelay } from '@tftsr/api/outbox/outbox-relay.service';
import { PublicationRequests } from '@tftsr/api/publishing/publication-requests.service';
import { SettingsService } from '@tftsr/api/settings/settings.service';
import { TextRedactor } from '@tftsr/api/settings/text-redactor.service';
import { FsBlobStore } from '@tftsr/storage';
import { runCli } from '@tftsr/cli-app/main';
import type { ImportDesktopOptions, ImportSummary } from '@tftsr/cli-app/import/desktop-importer';
import { importDesktop } from '@tftsr/cli-app/import/desktop-importer';
import { DesktopImportError } from '@tftsr/cli-app/import/import-errors';
import type { FixtureFacts } from '../support/desktop/desktop-fixture';
import { addRealisticRows, CHAT_SECRET, createDesktopDb, LOG_TEXT, PLANTED } from '../support/desktop/desktop-fixture';
import { jobOf } from '../support/ingest-rig';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';
import { ingestProcessorFor } from '../support/worker-parts';

/**
 * `tftsr import desktop` against desktop databases built here from the app's own migrations (real SQLCipher
 * with its pragmas, or plain), into a real encrypted service database and blob store. Real: everything.
 */
const DESKTOP_KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';
const quiet = { log: () => undefined, warn: () => undefined };
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface Rig {
  dir: string;
  desktopPath: string;
  facts: FixtureFacts;
  options: (overrides?: Partial<ImportDesktopOptions>) => ImportDesktopOptions;
  service: () => Db;
  remove: () => void;
}

async function rig(level: number, encrypted = true, edit?: (db: ReturnType<typeof createDesktopDb>) => void): Promise<Rig> {
  const temp = makeTempDir('tftsr-import-');
  const desktopDir = join(temp.dir, 'desktop');
  const serviceDir = join(temp.dir, 'service');
  execFileSync('mkdir', ['-p', desktopDir, serviceDir]);
  const desktopPath = join(desktopDir, 'tftsr.db');
  const desktop = createDesktopDb(desktopPath, level, encrypted ? DESKTOP_KEY : null);
  const facts = await addRealisticRows(desktop, desktopDir);
  edit?.(desktop);
  desktop.close();
  if (encrypted) writeFileSync(join(desktopDir, '.dbkey'), `${DESKTOP_KEY}\n`, { mode: 0o600 });
  openAndMigrate({ path: join(serviceDir, 'tftsr.db'), key: TEST_KEY }, quiet).close();
  return {
    dir: temp.dir,
    desktopPath,
    facts,
    options: (overrides = {}) => ({
      desktopPath,
      dryRun: false,
      env: {},
      service: { databasePath: join(serviceDir, 'tftsr.db'), databaseKey: TEST_KEY, dataDir: serviceDir },
      ...overrides,
    }),
    service: () => openDatabase({ path: join(serviceDir, 'tftsr.db'), key: TEST_KEY }),
    remove: temp.remove,
  };
}

const lines: string[] = [];
const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };

function tableCounts(db: Db): Record<string, number> {
  const tables = [
    'issues',
    'log_files',
    'image_attachments',
    'resolution_steps',
    'ai_conversations',
    'ai_messages',
    'documents',
    'audit_log',
    'outbox',
    'log_file_processing',
  ];
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
}

function blobCount(dir: string): number {
  const root = join(dir, 'service', 'blobs');
  if (!existsSync(root)) return 0;
  return readdirSync(root, { recursive: true }).filter((f) => String(f).endsWith('.blob')).length;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DesktopImportError);
  return err as Error;
}

describe.each([
  [10, true],
  [13, true],
  [22, true],
  [42, true],
  [42, false],
])('import desktop at migration %i (encrypted: %s)', (level, encrypted) => {
  let r: Rig;
  let summary: ImportSummary;

  beforeAll(async () => {
    r = await rig(level, encrypted);
    summary = await importDesktop(r.options(), io);
  });
  afterAll(() => r.remove());

  it('imports every row the level holds, keeping ids, and reports the file whose content is gone', () => {
    const f = r.facts.counts;
    const withContent = f.log_files - 1;
    expect(summary.level).toBe(level);
    expect(summary.encrypted).toBe(encrypted);
    expect(summary.skipped).toEqual([]);
    expect(summary.counts.issues).toEqual({ found: 2, imported: 2, present: 0, skipped: 0 });
    expect(summary.counts.log_files).toEqual({ found: f.log_files, imported: withContent, present: 0, skipped: 1 });
    expect(summary.counts.image_attachments.imported).toBe(f.image_attachments);
    expect(summary.counts.timeline_events.imported).toBe(f.timeline_events);
    expect(summary.warnings.filter((w) => w.includes(r.facts.logFileIds.missing))).toEqual([
      expect.stringMatching(/gone\.log.*skipped: no content: .*file_path .*gone\.log cannot be read \(ENOENT\)/),
    ]);
    const db = r.service();
    try {
      const counts = tableCounts(db);
      expect(counts).toMatchObject({
        issues: 2,
        log_files: withContent,
        image_attachments: f.image_attachments,
        resolution_steps: 3,
        ai_conversations: 1,
        ai_messages: 2,
        documents: 1,
      });
      // Each imported log goes through the normal jobs, enqueued with its row.
      expect(counts.outbox).toBe(2 * withContent);
      expect(counts.log_file_processing).toBe(withContent);
      const [a, b] = r.facts.issueIds;
      expect(
        db.prepare('SELECT id, severity, status, source, resolved_at, assigned_to, created_at FROM issues ORDER BY created_at').all(),
      ).toEqual([
        {
          id: a,
          severity: 'critical',
          status: 'investigating',
          source: 'desktop',
          resolved_at: null,
          assigned_to: null,
          created_at: '2026-03-01 09:58:00',
        },
        {
          id: b,
          severity: 'low',
          status: 'resolved',
          source: 'desktop',
          resolved_at: '2026-03-02 09:00:00',
          assigned_to: 'sam',
          created_at: '2026-03-02 08:00:00',
        },
      ]);
      expect(
        (db.prepare('SELECT step_order FROM resolution_steps ORDER BY step_order').all() as { step_order: number }[]).map(
          (s) => s.step_order,
        ),
      ).toEqual([1, 2, 3]);
      const audit = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
      expect(audit.verify().intact).toBe(true);
      expect(
        audit
          .list({ action: 'import_desktop', limit: 10 })
          .map((e) => e.entity_type)
          .sort(),
      ).toEqual(['desktop_database', 'issue', 'issue']);
    } finally {
      db.close();
    }
  });

  it('stores conversations, 5-Whys and timeline text redacted, with no planted value in clear', () => {
    const db = r.service();
    try {
      const texts = [
        ...db.prepare('SELECT content AS t FROM ai_messages').all(),
        ...db.prepare(`SELECT coalesce(why_question, '') || ' ' || coalesce(answer, '') AS t FROM resolution_steps`).all(),
        ...db.prepare('SELECT details AS t FROM audit_log').all(),
      ].map((row) => (row as { t: string }).t);
      const all = texts.join('\n');
      for (const secret of [CHAT_SECRET, PLANTED.password, PLANTED.ip]) expect(all).not.toContain(secret);
      expect(db.prepare(`SELECT content FROM ai_messages WHERE role = 'user'`).get()).toEqual({ content: 'Customer [Email] reports 502s' });
      if (r.facts.counts.timeline_events > 0) {
        const events = db
          .prepare(
            `SELECT action, timestamp, json_extract(details, '$.description') AS d FROM audit_log WHERE action IN ('rca_generated', 'document_exported') ORDER BY timestamp`,
          )
          .all();
        // Both timestamp forms, with and without " UTC".
        expect(events).toEqual([
          { action: 'rca_generated', timestamp: '2026-03-01 11:00:00', d: 'RCA document generated' },
          { action: 'document_exported', timestamp: '2026-03-01 11:05:00', d: 'Exported for [Email]' },
        ]);
      }
    } finally {
      db.close();
    }
  });

  it('shows the timeline events in the timeline of a generated RCA', async () => {
    const db = r.service();
    try {
      const audit = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
      const relay = { kick: () => undefined } as unknown as OutboxRelay;
      const redactor = new TextRedactor(new SettingsService(offLoopGroupCommit(db, 0), new SettingRepository(db), audit));
      const configs = new IntegrationConfigRepository(db);
      const publications = new PublicationRequests(
        audit,
        new PublicationRepository(db),
        new OutboxRepository(db),
        configs,
        new WebhookRepository(db),
      );
      const documents = new DocumentsService(
        offLoopGroupCommit(db, 0),
        new IssueRepository(db),
        new ResolutionStepRepository(db),
        new LogFileRepository(db),
        audit,
        publications,
        relay,
        redactor,
        new DocumentRepository(db),
        configs,
        new CredentialRepository(db),
      );
      const rca = await documents.generate(r.facts.issueIds[0], 'rca', 'test');
      const rows =
        r.facts.counts.timeline_events > 0
          ? [
              '| 2026-03-01 11:00:00 | RCA Document Generated | RCA document generated |',
              '| 2026-03-01 11:05:00 | Document Exported | Exported for [Email] |',
            ]
          : [];
      for (const row of rows) expect(rca.content_md).toContain(row);
      expect(rca.content_md).toContain('| Imported from the Desktop App |');
    } finally {
      db.close();
    }
  });

  it('runs the imported logs through hash and detect_pii, which find every planted secret', async () => {
    if (level < 20) {
      expect(r.facts.logFileIds.compressed).toBeUndefined();
      return;
    }
    const db = r.service();
    const dataDir = join(r.dir, 'service');
    const blobs = new FsBlobStore(dataDir, deriveKey(TEST_KEY, 'blob-encryption'));
    const sut = ingestProcessorFor(db, blobs);
    try {
      const id = r.facts.logFileIds.compressed!;
      const jobs = db
        .prepare(`SELECT id, job_name FROM outbox WHERE json_extract(payload, '$.log_file_id') = ? ORDER BY job_name`)
        .all(id) as { id: string; job_name: string }[];
      expect(jobs.map((j) => j.job_name)).toEqual(['detect_pii', 'hash']);
      await sut.handleDetectPii(jobOf({ outbox_id: jobs[0].id, log_file_id: id }));
      await sut.handleHash(jobOf({ outbox_id: jobs[1].id, log_file_id: id }));
      const file = db.prepare('SELECT content_hash FROM log_files WHERE id = ?').get(id) as { content_hash: string };
      expect(file.content_hash).toBe(createHash('sha256').update(LOG_TEXT).digest('hex'));
      const types = (db.prepare('SELECT DISTINCT pii_type FROM pii_spans WHERE log_file_id = ?').all(id) as { pii_type: string }[])
        .map((s) => s.pii_type)
        .sort();
      expect(types).toEqual(expect.arrayContaining(['AwsAccessKey', 'CreditCard', 'Email', 'IPv4', 'Password']));
      // The desktop had applied a redaction to this file: a decision, whose job starts once the spans exist.
      const request = db.prepare(`SELECT id, span_ids, requested_by, state FROM redaction_requests WHERE log_file_id = ?`).get(id) as {
        id: string;
      };
      expect(request).toMatchObject({ span_ids: null, requested_by: 'desktop-import', state: 'pending' });
      expect(db.prepare(`SELECT count(*) AS n FROM redaction_requests WHERE log_file_id = ?`).get(r.facts.logFileIds.onDisk)).toEqual({
        n: 0,
      });
      const redactJob = db
        .prepare(`SELECT id FROM outbox WHERE job_name = 'redact' AND json_extract(payload, '$.redaction_request_id') = ?`)
        .get(request.id) as { id: string };
      await sut.handleRedact(jobOf({ outbox_id: redactJob.id, log_file_id: id, redaction_request_id: request.id }));
      const done = db
        .prepare(`SELECT f.redacted, x.redacted_path FROM log_files f JOIN log_file_redactions x ON x.log_file_id = f.id WHERE f.id = ?`)
        .get(id) as { redacted: number; redacted_path: string };
      expect(done.redacted).toBe(1);
      const chunks: Buffer[] = [];
      for await (const chunk of blobs.openRead(done.redacted_path)) chunks.push(chunk as Buffer);
      const redacted = Buffer.concat(chunks).toString('utf8');
      expect(redacted).toContain('[AwsAccessKey]');
      for (const secret of Object.values(PLANTED)) expect(redacted).not.toContain(secret);
    } finally {
      db.close();
    }
  });

  it('strips EXIF (GPS) from imported images', async () => {
    if (r.facts.imageId === undefined) {
      expect(level).toBeLessThan(13);
      return;
    }
    const db = r.service();
    try {
      const image = db
        .prepare('SELECT file_path, file_size, mime_type, upload_hash FROM image_attachments WHERE id = ?')
        .get(r.facts.imageId) as { file_path: string; file_size: number; mime_type: string; upload_hash: string };
      expect(image.mime_type).toBe('image/jpeg');
      expect(image.upload_hash).toBe(createHash('sha256').update(r.facts.imageBytes!).digest('hex'));
      const blobs = new FsBlobStore(join(r.dir, 'service'), deriveKey(TEST_KEY, 'blob-encryption'));
      const chunks: Buffer[] = [];
      for await (const chunk of blobs.openRead(image.file_path)) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      expect(bytes.length).toBe(image.file_size);
      expect((await sharp(r.facts.imageBytes).metadata()).exif).toBeDefined();
      expect((await sharp(bytes).metadata()).exif).toBeUndefined();
      expect(bytes.includes('CANARY-Jane-Doe')).toBe(false);
    } finally {
      db.close();
    }
  });

  it('imports nothing the second time', async () => {
    const db = r.service();
    const before = tableCounts(db);
    db.close();
    const blobsBefore = blobCount(r.dir);
    const again = await importDesktop(r.options(), io);
    expect(Object.values(again.counts).map((c) => c.imported)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(again.counts.issues.present).toBe(2);
    const after = r.service();
    try {
      expect(tableCounts(after)).toEqual(before);
    } finally {
      after.close();
    }
    expect(blobCount(r.dir)).toBe(blobsBefore);
  });
});

describe('import desktop: safety and bad input', () => {
  it('writes nothing in a dry run, and says what it would import', async () => {
    const r = await rig(42);
    try {
      const db = r.service();
      const before = tableCounts(db);
      db.close();
      lines.length = 0;
      const summary = await importDesktop(r.options({ dryRun: true }), io);
      expect(summary.dryRun).toBe(true);
      expect(lines).toEqual([
        `would import issue ${r.facts.issueIds[0]}: 1 issue, 2 log file(s), 1 image(s), 3 5-Why step(s), 1 conversation(s), 2 message(s), 1 document(s), 2 timeline event(s)`,
        `would import issue ${r.facts.issueIds[1]}: 1 issue`,
      ]);
      expect(summary.counts.issues.imported).toBe(2);
      expect(summary.counts.ai_messages.imported).toBe(2);
      expect(summary.counts.log_files).toMatchObject({ imported: 2, skipped: 1 });
      const after = r.service();
      expect(tableCounts(after)).toEqual(before);
      after.close();
      expect(blobCount(r.dir)).toBe(0);
    } finally {
      r.remove();
    }
  });

  it('never writes to the desktop file', async () => {
    const r = await rig(42);
    try {
      const desktopDir = join(r.dir, 'desktop');
      const hash = sha256(r.desktopPath);
      const mtime = statSync(r.desktopPath).mtimeMs;
      const listing = readdirSync(desktopDir).sort();
      await importDesktop(r.options(), io);
      await importDesktop(r.options(), io);
      expect(sha256(r.desktopPath)).toBe(hash);
      expect(statSync(r.desktopPath).mtimeMs).toBe(mtime);
      expect(readdirSync(desktopDir).sort()).toEqual(listing);
    } finally {
      r.remove();
    }
  });

  it('refuses a database the app holds locked, in one line', async () => {
    const r = await rig(42);
    const holder = createDesktopDb(r.desktopPath, 0, DESKTOP_KEY);
    try {
      holder.exec('BEGIN EXCLUSIVE');
      const err = await failure(importDesktop(r.options(), io));
      expect(err.message).toMatch(
        /^the desktop database is in use \(locked by another program\): close the TFTSR desktop app and try again$/,
      );
      holder.exec('ROLLBACK');
      // Mid-write, or crashed mid-write: its rollback journal is beside it, and only the app may replay it.
      writeFileSync(`${r.desktopPath}-journal`, Buffer.alloc(512, 1));
      expect((await failure(importDesktop(r.options(), io))).message).toMatch(
        /^the desktop database is in use or was not closed cleanly \(.*tftsr\.db-journal exists\)/,
      );
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      r.remove();
    }
  });

  it('names a wrong key, and the key sources it tried', async () => {
    const r = await rig(42);
    try {
      const keyFile = join(r.dir, 'wrong.key');
      writeFileSync(keyFile, 'not the key\n');
      expect((await failure(importDesktop(r.options({ keyFile }), io))).message).toMatch(
        /^wrong key: none of --key-file .*wrong\.key opens /,
      );
      expect((await failure(importDesktop(r.options({ keyFile: join(r.dir, 'nowhere.key') }), io))).message).toMatch(
        /^cannot read the key file .*nowhere\.key \(ENOENT\)$/,
      );
      const own = r.options();
      await expect(importDesktop({ ...own, desktopPath: own.service.databasePath }, io)).rejects.toThrow(/is this service's own database/);
    } finally {
      r.remove();
    }
  });

  it('finds the key as the app does: TRCAA_DB_KEY, TFTSR_DB_KEY, then .dbkey beside the file', async () => {
    const r = await rig(42);
    try {
      // The service's own TFTSR_DB_KEY does not open the desktop file: the .dbkey still does.
      const summary = await importDesktop(r.options({ env: { TFTSR_DB_KEY: TEST_KEY }, dryRun: true }), io);
      expect(summary.counts.issues.imported).toBe(2);
      execFileSync('rm', [join(r.dir, 'desktop', '.dbkey')]);
      await failure(importDesktop(r.options({ dryRun: true }), io));
      expect((await importDesktop(r.options({ env: { TRCAA_DB_KEY: DESKTOP_KEY }, dryRun: true }), io)).counts.issues.imported).toBe(2);
    } finally {
      r.remove();
    }
  });

  it('refuses a truncated file', async () => {
    const r = await rig(42);
    try {
      truncateSync(r.desktopPath, statSync(r.desktopPath).size - 1000);
      expect((await failure(importDesktop(r.options(), io))).message).toMatch(
        /is truncated: \d+ bytes is not a whole number of 16384-byte pages/,
      );
    } finally {
      r.remove();
    }
  });

  it('refuses a truncated plain file, by its header', async () => {
    const r = await rig(42, false);
    try {
      truncateSync(r.desktopPath, statSync(r.desktopPath).size - 4096);
      expect((await failure(importDesktop(r.options(), io))).message).toMatch(/is truncated: \d+ bytes, but its header says \d+/);
    } finally {
      r.remove();
    }
  });

  it('fails a carried-over redaction when detection fails for good, so it blocks nothing', async () => {
    const r = await rig(42);
    const db = r.service();
    try {
      await importDesktop(r.options(), io);
      const blobs = new FsBlobStore(join(r.dir, 'service'), deriveKey(TEST_KEY, 'blob-encryption'));
      const sut = ingestProcessorFor(db, blobs);
      const id = r.facts.logFileIds.compressed!;
      const file = db.prepare('SELECT file_path FROM log_files WHERE id = ?').get(id) as { file_path: string };
      await blobs.remove(file.file_path);
      const scan = db
        .prepare(`SELECT id FROM outbox WHERE job_name = 'detect_pii' AND json_extract(payload, '$.log_file_id') = ?`)
        .get(id) as { id: string };
      await expect(sut.handleDetectPii(jobOf({ outbox_id: scan.id, log_file_id: id }, 4))).rejects.toThrow();
      expect(db.prepare('SELECT state, failure_reason FROM redaction_requests WHERE log_file_id = ?').get(id)).toEqual({
        state: 'failed',
        failure_reason: expect.stringMatching(/^PII detection failed: /),
      });
      expect(db.prepare(`SELECT count(*) AS n FROM outbox WHERE job_name = 'redact'`).get()).toEqual({ n: 0 });
    } finally {
      db.close();
      r.remove();
    }
  });

  it('refuses a database from a newer app than it knows', async () => {
    const r = await rig(42, true, (db) => db.prepare(`INSERT INTO _migrations (name) VALUES ('043_create_future_things')`).run());
    try {
      expect((await failure(importDesktop(r.options(), io))).message).toMatch(
        /has migration 043_create_future_things, newer than this importer knows \(up to 042\)/,
      );
    } finally {
      r.remove();
    }
  });

  it('refuses a file that is not a desktop database, or older than any the app shipped', async () => {
    const r = await rig(42, false, (db) => db.exec(`DELETE FROM _migrations WHERE name >= '010'`));
    try {
      expect((await failure(importDesktop(r.options(), io))).message).toMatch(/is at migration 009; only 010 and later can be imported/);
      const other = join(r.dir, 'other.db');
      const db = openDatabase({ path: other, key: null });
      db.exec('CREATE TABLE notes (x TEXT)');
      db.close();
      expect((await failure(importDesktop(r.options({ desktopPath: other }), io))).message).toMatch(
        /has no _migrations table: it is not a TFTSR desktop database/,
      );
    } finally {
      r.remove();
    }
  });

  it('skips an issue with a corrupt row whole, imports the others, and says why', async () => {
    let broken = '';
    const r = await rig(42, true, (db) => {
      broken = (db.prepare(`SELECT id FROM issues WHERE severity = 'P4'`).get() as { id: string }).id;
      db.prepare(
        `INSERT INTO resolution_steps (id, issue_id, step_order, why_question, created_at) VALUES ('step-7', ?, 1, 'Why?', '2026-03-02 08:30:00')`,
      ).run(broken);
      // Left by the app's statement-by-statement delete_issue, with foreign keys off.
      db.prepare(
        `INSERT INTO ai_messages (id, conversation_id, role, content, created_at) VALUES ('0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b', '0190a4b2-7c3d-7e8f-9a0b-000000000000', 'user', 'hi', '2026-03-02 08:30:00')`,
      ).run();
    });
    try {
      const summary = await importDesktop(r.options(), io);
      expect(summary.skipped).toEqual([
        { what: `issue ${broken}`, reason: expect.stringContaining(`resolution_steps row "step-7" has an id that is not a UUID`) },
      ]);
      expect(summary.counts.issues).toMatchObject({ imported: 1, skipped: 1 });
      expect(summary.counts.ai_messages).toEqual({ found: 3, imported: 2, present: 0, skipped: 1 });
      expect(summary.warnings).toContain(`1 ai_messages row(s) belong to no issue (left by the app's own deletes): not imported`);
      const db = r.service();
      try {
        expect(db.prepare('SELECT count(*) AS n FROM issues WHERE id = ?').get(broken)).toEqual({ n: 0 });
        expect(db.prepare('SELECT count(*) AS n FROM log_files WHERE issue_id = ?').get(broken)).toEqual({ n: 0 });
      } finally {
        db.close();
      }
    } finally {
      r.remove();
    }
  });

  it('runs from the command line with a summary per table, and exits 0', async () => {
    const r = await rig(22);
    try {
      const out: string[] = [];
      const env = { NODE_ENV: 'test', TFTSR_DATA_DIR: join(r.dir, 'service'), TFTSR_DB_KEY: TEST_KEY };
      const cliIo = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
      expect(await runCli(['import', 'desktop', '--db', r.desktopPath, '--dry-run'], env, cliIo)).toBe(0);
      expect(out).toContainEqual(expect.stringMatching(/^dry run, nothing written: desktop database at migration 022 \(encrypted\)$/));
      out.length = 0;
      expect(await runCli(['import', 'desktop', '--db', r.desktopPath], env, cliIo)).toBe(0);
      expect(out).toContainEqual(expect.stringMatching(/^issues\s+2\s+2\s+0\s+0$/));
      expect(out).toContainEqual(expect.stringMatching(/^warning: log file .*gone\.log/));
      expect(await runCli(['import', 'desktop'], env, cliIo)).toBe(2);
    } finally {
      r.remove();
    }
  });

  it('reads a fixture that the stock SQLCipher 4 shell opens with the desktop pragmas', async () => {
    const r = await rig(42);
    try {
      const script = `PRAGMA key = '${DESKTOP_KEY}';\nPRAGMA cipher_page_size = 16384;\nPRAGMA kdf_iter = 256000;\nPRAGMA cipher_hmac_algorithm = HMAC_SHA512;\nPRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA512;\nSELECT count(*) FROM issues;\nSELECT max(name) FROM _migrations;\nPRAGMA cipher_integrity_check;\n`;
      const out = execFileSync('sqlcipher', [r.desktopPath], { input: script, encoding: 'utf8' });
      expect(out.trim().split('\n')).toEqual(['ok', '2', '042_add_database_ssh_credential_columns']);
    } finally {
      r.remove();
    }
  });
});
