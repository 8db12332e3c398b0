import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AuditLogRepository, deriveKey, loadMigrations, migrate, openDatabase, toDbTimestamp, transaction } from '@tftsr/db';
import { FsBlobStore } from '@tftsr/storage';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { runCli } from '../main';

const DAY = 86_400_000;

describe('tftsr issues purge', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let env: Record<string, string>;
  const files: Record<string, string> = {};

  beforeEach(async () => {
    temp = makeTempDir();
    env = { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY };
    const db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    migrate(db, loadMigrations());
    const audit = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
    const blobs = new FsBlobStore(temp.dir, deriveKey(TEST_KEY, 'blob-encryption'));
    for (const [id, age] of [
      ['old', 40],
      ['recent', 3],
    ] as const) {
      const stamp = toDbTimestamp(new Date(Date.now() - age * DAY));
      files[id] = (await blobs.write(Readable.from([Buffer.from(`log of ${id}\n`)]))).path;
      transaction(db, () => {
        db.prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, ?, 'low', 'open', ?, ?)`).run(
          id,
          `issue ${id}`,
          stamp,
          stamp,
        );
        db.prepare(`INSERT INTO log_files (id, issue_id, file_name, file_path, uploaded_at) VALUES (?, ?, 'a.log', ?, ?)`).run(
          `f-${id}`,
          id,
          files[id],
          stamp,
        );
        db.prepare(`INSERT INTO resolution_steps (id, issue_id, step_order, why_question, created_at) VALUES (?, ?, 1, 'why?', ?)`).run(
          `s-${id}`,
          id,
          stamp,
        );
        audit.append({ action: 'create_issue', entity_type: 'issue', entity_id: id });
      });
    }
    db.close();
  });
  afterEach(() => temp.remove());

  const run = async (args: string[]) => {
    const lines: string[] = [];
    const code = await runCli(['issues', 'purge', ...args], env, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    return { code, text: lines.join('\n') };
  };

  function readState() {
    const db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    try {
      return {
        issues: (db.prepare('SELECT id FROM issues ORDER BY id').all() as { id: string }[]).map((r) => r.id),
        children: db.prepare('SELECT (SELECT count(*) FROM log_files) AS files, (SELECT count(*) FROM resolution_steps) AS steps').get(),
        purges: db.prepare(`SELECT entity_id, details FROM audit_log WHERE action = 'purge_issue'`).all() as {
          entity_id: string;
          details: string;
        }[],
        chain: new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac')).verify(),
      };
    } finally {
      db.close();
    }
  }

  it('deletes the issues not changed for DAYS days with their children and files, one audit entry each', async () => {
    const result = await run(['--older-than', '30']);
    expect(result.code).toBe(0);
    expect(result.text).toMatch(/purged 1 issue\(s\) and 1 stored file\(s\)/);
    const state = readState();
    expect(state.issues).toEqual(['recent']);
    expect(state.children).toEqual({ files: 1, steps: 1 });
    expect(state.purges.map((p) => [p.entity_id, JSON.parse(p.details)])).toEqual([
      [
        'old',
        expect.objectContaining({
          older_than_days: 30,
          stored_files: 1,
          children: expect.objectContaining({ log_files: 1, resolution_steps: 1 }),
        }),
      ],
    ]);
    expect(state.chain.intact).toBe(true);
    expect(existsSync(join(temp.dir, files.old))).toBe(false);
    expect(existsSync(join(temp.dir, files.recent))).toBe(true);
  });

  it('changes nothing with --dry-run, and says what would go', async () => {
    const result = await run(['--older-than', '30', '--dry-run']);
    expect(result.text).toMatch(/would purge old \(last changed /);
    expect(result.text).toMatch(/would purge 1 issue\(s\)/);
    expect(readState().issues).toEqual(['old', 'recent']);
    expect(existsSync(join(temp.dir, files.old))).toBe(true);
  });

  it('sweeps stored files no row points at once they are an hour old, and leaves young ones (uploads in flight)', async () => {
    mkdirSync(join(temp.dir, 'blobs', 'ee'), { recursive: true });
    const orphan = join(temp.dir, 'blobs', 'ee', 'crash-left-this.blob');
    const young = join(temp.dir, 'blobs', 'ee', 'upload-in-flight.blob');
    const part = join(temp.dir, 'blobs', 'tmp', 'interrupted.part');
    for (const path of [orphan, young, part]) writeFileSync(path, 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(orphan, twoHoursAgo, twoHoursAgo);
    utimesSync(part, twoHoursAgo, twoHoursAgo);

    expect((await run(['--older-than', '365', '--dry-run'])).text).toMatch(/would remove 2 orphan file\(s\)/);
    expect(existsSync(orphan)).toBe(true);
    expect((await run(['--older-than', '365'])).text).toMatch(/purged 0 issue\(s\) and 0 stored file\(s\); removed 2 orphan file\(s\)/);
    expect([existsSync(orphan), existsSync(part), existsSync(young), existsSync(join(temp.dir, files.old))]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it("removes a purged issue's open chunk append files, and old append files of no open chunk", async () => {
    const db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    for (const id of ['old', 'recent']) {
      db.prepare(`INSERT INTO log_streams (id, issue_id, name, source, created_at) VALUES (?, ?, 'app', 'lines', 'x')`).run(`st-${id}`, id);
      db.prepare(
        `INSERT INTO log_stream_chunks (id, stream_id, seq, state, bytes, lines, opened_at, last_append_ms, file_bytes)
         VALUES (?, ?, 1, 'open', 5, 1, 'x', 0, 100)`,
      ).run(`c-${id}`, `st-${id}`);
    }
    db.close();
    mkdirSync(join(temp.dir, 'chunks'), { recursive: true });
    for (const name of ['c-old', 'c-recent', 'c-closed-before-a-crash', 'c-young'])
      writeFileSync(join(temp.dir, 'chunks', `${name}.open`), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const name of ['c-old', 'c-recent', 'c-closed-before-a-crash'])
      utimesSync(join(temp.dir, 'chunks', `${name}.open`), twoHoursAgo, twoHoursAgo);

    const result = await run(['--older-than', '30']);
    expect(result.text).toMatch(/purged 1 issue\(s\) and 2 stored file\(s\); removed 1 orphan file\(s\)/);
    expect(
      ['c-old', 'c-recent', 'c-closed-before-a-crash', 'c-young'].map((name) => existsSync(join(temp.dir, 'chunks', `${name}.open`))),
    ).toEqual([false, true, false, true]);
  });

  it('refuses a missing or bad --older-than with exit code 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--older-than', '0'])).code).toBe(2);
    expect((await run(['--older-than', 'soon'])).code).toBe(2);
  });
});
