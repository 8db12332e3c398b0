import { LogChunkCloser } from '@tftsr/api/log-streams/log-chunk-closer.service';
import { LogChunkWriter } from '@tftsr/api/log-streams/log-chunk-writer.service';
import { LogChunksService } from '@tftsr/api/log-streams/log-chunks.service';
import type { OutboxRelay } from '@tftsr/api/outbox/outbox-relay.service';
import { SettingsService } from '@tftsr/api/settings/settings.service';
import { LogFileIntake } from '@tftsr/api/log-files/log-file-intake';
import {
  AuditLogRepository,
  deriveKey,
  GroupCommit,
  IssueRepository,
  LogFileProcessingRepository,
  LogFileRepository,
  LogStreamRepository,
  OutboxRepository,
  SettingRepository,
  toDbTimestamp,
} from '@tftsr/db';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { CHUNK_FILE_KEY_LABEL, ChunkFiles } from '@tftsr/storage';
import { IngestRig } from '../support/ingest-rig';
import { TEST_KEY } from '../support/temp-dir';

/**
 * LogChunksService against a real encrypted database and blob store. Not here: Redis (the relay is a stand-in
 * whose kick is counted; test/e2e/shippers.e2e-spec.ts runs the real outbox, queue and worker).
 */
describe('LogChunksService', () => {
  let rig: IngestRig;
  let sut: LogChunksService;
  let kicks: number;
  let settings: SettingsService;
  let group: GroupCommit;
  let appendFiles: ChunkFiles;
  let audit: AuditLogRepository;
  let relay: OutboxRelay;
  let intake: LogFileIntake;

  beforeEach(() => {
    rig = new IngestRig();
    kicks = 0;
    audit = new AuditLogRepository(rig.db, deriveKey(TEST_KEY, 'audit-hmac'));
    relay = { kick: () => (kicks += 1) } as unknown as OutboxRelay;
    const db = rig.db;
    intake = new LogFileIntake(
      new IssueRepository(db),
      new LogFileRepository(db),
      new LogFileProcessingRepository(db),
      new OutboxRepository(db),
    );
    group = new GroupCommit(db, 5);
    settings = new SettingsService(group, new SettingRepository(db), audit);
    appendFiles = new ChunkFiles(rig.temp.dir, deriveKey(TEST_KEY, CHUNK_FILE_KEY_LABEL));
    sut = start();
  });
  afterEach(() => rig.close());

  /** A service as the module wires it, with its own writer and closer (a restart's are new). */
  const start = () => {
    const repo = new LogStreamRepository(rig.db);
    const writer = new LogChunkWriter(audit, settings, repo, group, appendFiles);
    const closer = new LogChunkCloser(rig.blobs, audit, settings, relay, repo, intake, group, appendFiles, writer);
    return new LogChunksService(settings, repo, intake, appendFiles, writer, closer);
  };

  const issue = (id: string) => {
    const now = toDbTimestamp();
    rig.db
      .prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 't', 'high', 'open', ?, ?)`)
      .run(id, now, now);
  };
  const lines = (issueId: string, text: string) => ({
    issueId,
    stream: 's',
    source: 'lines' as const,
    data: Buffer.from(text),
    lines: text.split('\n').length - 1,
  });

  it('commits the good requests of a batch when one of them fails (its issue is gone)', async () => {
    issue('issue-a');
    const good = sut.append([lines('issue-a', 'one\n')], 'k');
    const bad = sut.append([lines('issue-gone', 'two\n')], 'k');
    const alsoGood = sut.append([lines('issue-a', 'three\n')], 'k');
    const results = await Promise.allSettled([good, bad, alsoGood]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rig.count(`SELECT sum(lines) AS n FROM log_stream_chunks`)).toBe(2);
  });

  it('holds the group commit for an admitted request until its lines are queued, then commits them together', async () => {
    issue('issue-a');
    // Longer than the test's timeout: were the release ignored, the appends would not be committed in time.
    group.windowMs = 60_000;
    const release = sut.expect();
    const first = sut.append([lines('issue-a', 'one\n')], 'k');
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.count(`SELECT count(*) AS n FROM log_stream_chunks`)).toBe(0);
    const second = sut.append([lines('issue-a', 'two\n')], 'k');
    release();
    release();
    await Promise.all([first, second]);
    expect(rig.count(`SELECT sum(lines) AS n FROM log_stream_chunks`)).toBe(2);
  });

  it('waits at most the window for an admitted request that never queues its lines', async () => {
    issue('issue-a');
    sut.expect();
    // Timers count from the event loop's clock, which stands still during synchronous work (the write above): a
    // turn of the loop brings it up to date, so the window below is measured from the same instant as `started`.
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    await sut.append([lines('issue-a', 'one\n')], 'k');
    expect(Date.now() - started).toBeGreaterThanOrEqual(group.windowMs - 1);
    expect(rig.count(`SELECT sum(lines) AS n FROM log_stream_chunks`)).toBe(1);
  });

  it('closes a chunk into one log file with its two jobs and its audit entry, once, however often close runs', async () => {
    issue('issue-b');
    await sut.append([lines('issue-b', 'alpha\n'), lines('issue-b', 'beta\n')], 'k');
    const [{ id }] = rig.db.prepare(`SELECT id FROM log_stream_chunks`).all() as { id: string }[];
    await Promise.all([sut.close(id), sut.close(id)]);
    await sut.close(id);
    const files = rig.db.prepare(`SELECT id, file_path, file_size FROM log_files WHERE issue_id = 'issue-b'`).all() as {
      id: string;
      file_path: string;
      file_size: number;
    }[];
    expect(files).toHaveLength(1);
    const parts: Buffer[] = [];
    for await (const part of rig.blobs.openRead(files[0].file_path)) parts.push(part as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('alpha\nbeta\n');
    expect(rig.count(`SELECT count(*) AS n FROM outbox WHERE payload LIKE ?`, `%${files[0].id}%`)).toBe(2);
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'close_log_chunk'`)).toBe(1);
    expect(rig.count(`SELECT count(*) AS n FROM log_stream_parts`)).toBe(0);
    expect(kicks).toBe(1);
    // The lines went to the chunk's append file, not the database, and the file went with the close.
    expect(existsSync(appendFiles.path(id))).toBe(false);
  });

  it('keeps the lines in an encrypted append file whose committed length the database holds', async () => {
    issue('issue-f');
    await sut.append([lines('issue-f', 'token=abc123secret\n')], 'k');
    await sut.append([lines('issue-f', 'second\n')], 'k');
    const chunk = rig.db.prepare(`SELECT id, bytes, lines, file_bytes FROM log_stream_chunks`).get() as {
      id: string;
      bytes: number;
      lines: number;
      file_bytes: number;
    };
    expect(chunk).toMatchObject({ bytes: 26, lines: 2 });
    expect(statSync(appendFiles.path(chunk.id)).size).toBe(chunk.file_bytes);
    expect(readFileSync(appendFiles.path(chunk.id)).includes(Buffer.from('abc123secret'))).toBe(false);
    expect((await appendFiles.read(chunk.id, chunk.file_bytes)).toString()).toBe('token=abc123secret\nsecond\n');
    // The blob key, which scanner hosts hold (issue 19), does not open it: open chunks never leave this host.
    const underBlobKey = new ChunkFiles(rig.temp.dir, deriveKey(TEST_KEY, 'blob-encryption'));
    await expect(underBlobKey.read(chunk.id, chunk.file_bytes)).rejects.toThrow(/does not unwrap: wrong key/);
    expect(rig.count(`SELECT count(*) AS n FROM log_stream_parts`)).toBe(0);
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'append_log_lines'`)).toBe(2);
  });

  it('at start, drops a torn tail past the committed length, and the chunk closes with the acknowledged lines only', async () => {
    issue('issue-g');
    await sut.append([lines('issue-g', 'acknowledged\n')], 'k');
    const { id, file_bytes } = rig.db.prepare(`SELECT id, file_bytes FROM log_stream_chunks`).get() as { id: string; file_bytes: number };
    await sut.onApplicationShutdown();
    // A crash between the file's write and the commit: a whole record, then half of another.
    appendFileSync(appendFiles.path(id), randomBytes(150));
    const restarted = start();
    await restarted.recover();
    expect(statSync(appendFiles.path(id)).size).toBe(file_bytes);
    await restarted.append([lines('issue-g', 'after restart\n')], 'k');
    await restarted.close(id);
    const [file] = rig.db.prepare(`SELECT file_path FROM log_files WHERE issue_id = 'issue-g'`).all() as { file_path: string }[];
    const parts: Buffer[] = [];
    for await (const part of rig.blobs.openRead(file.file_path)) parts.push(part as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('acknowledged\nafter restart\n');
  });

  it('at start, fails loudly when a file has lost bytes below its committed length', async () => {
    issue('issue-h');
    await sut.append([lines('issue-h', 'one\n')], 'k');
    await sut.append([lines('issue-h', 'two\n')], 'k');
    const { id, file_bytes } = rig.db.prepare(`SELECT id, file_bytes FROM log_stream_chunks`).get() as { id: string; file_bytes: number };
    await sut.onApplicationShutdown();
    truncateSync(appendFiles.path(id), file_bytes - 10);
    const restarted = start();
    await expect(restarted.recover()).rejects.toThrow(`the append file of open chunk ${id} is damaged`);
  });

  it('removes append files that belong to no open chunk (an issue deleted meanwhile)', async () => {
    issue('issue-i');
    await sut.append([lines('issue-i', 'one\n')], 'k');
    const { id } = rig.db.prepare(`SELECT id FROM log_stream_chunks`).get() as { id: string };
    rig.db.prepare(`DELETE FROM issues WHERE id = 'issue-i'`).run();
    await sut.recover();
    expect(existsSync(appendFiles.path(id))).toBe(false);
  });

  it('lets one of two requests in the same group commit open the last file an issue may hold, and audits only it', async () => {
    issue('issue-c');
    await settings.put('uploads.max_files_per_issue', 1, 'test');
    // Both pass the check before the batch (no chunk is open yet); the check inside the transaction decides.
    const first = sut.append([{ ...lines('issue-c', 'one\n'), stream: 'x' }], 'k');
    const second = sut.append([{ ...lines('issue-c', 'two\n'), stream: 'y' }], 'k');
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'TOO_MANY_FILES',
      details: { limit: 1, files: 1, stream: 'y' },
    });
    expect(rig.count(`SELECT count(*) AS n FROM log_streams`)).toBe(1);
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'append_log_lines'`)).toBe(1);
    await expect(sut.append([{ ...lines('issue-c', 'three\n'), stream: 'x' }], 'k')).resolves.toBeUndefined();
  });
});
