import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@tftsr/db';
import { HEADER_SIZE } from '@tftsr/storage';
import { TEST_KEY } from '../../support/temp-dir';
import { runPostChecks } from '../support/post-checks';
import { FaultRig, smallLog } from './fault-rig';

const PAGE_SIZE = 4096;
const TFTSR = join(__dirname, '..', '..', '..', 'bin', 'tftsr.js');

function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, offset);
    byte[0] ^= 0x01;
    writeSync(fd, byte, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * Catalogue 16 (issue 7, fault 9): one flipped bit in the stored data. Every page of the database and every
 * chunk of a blob is authenticated, so the damage is reported wherever the bytes are read: never served,
 * never read back as different data. First a blob (the apps keep running), then a database page.
 */
describe('a flipped byte at rest', () => {
  let rig: FaultRig;
  let files: string[];

  beforeAll(async () => {
    rig = new FaultRig('flipped-byte');
    rig.startWorker();
    await rig.startApi();
    await rig.waitReady();
    const issueId = await rig.createIssue();
    for (let i = 0; i < 3; i += 1) await rig.upload(issueId, `file-${i}.log`, smallLog(`file-${i}`));
    files = [...rig.accepted];
    await rig.waitProcessed(files, 30_000);
    await rig.postChecks();
  }, 60_000);
  afterAll(() => rig.close());

  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, [TFTSR, ...args], {
      env: { PATH: process.env.PATH ?? '', TFTSR_DATA_DIR: rig.dataDir, TFTSR_DB_KEY: TEST_KEY },
      encoding: 'utf8',
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  };

  it('in a blob: its download fails closed, and the verifiers name that file and no other', async () => {
    const [damaged, ...intact] = files;
    const path = rig.db().prepare('SELECT file_path FROM log_files WHERE id = ?').pluck().get(damaged) as string;
    flipByte(join(rig.dataDir, path), HEADER_SIZE + 10);

    const revealer = rig.createKey('revealer', ['read', 'pii:reveal']);
    const download = await rig.call('GET', `/v1/log-files/${damaged}/content?variant=original`, undefined, revealer);
    expect([download.status, download.body.error.code]).toEqual([500, 'STORED_FILE_CORRUPT']);
    expect(download.body.error.message).toMatch(/failed its integrity check and was not served/);
    expect((await rig.call('GET', `/v1/log-files/${intact[0]}/content?variant=original`, undefined, revealer)).status).toBe(200);

    const report = await runPostChecks({ dataDir: rig.dataDir, key: TEST_KEY, accepted: files });
    expect(report.fileProblems).toEqual([expect.stringMatching(new RegExp(`^${damaged}: stored content unreadable: `))]);
    const verify = cli('db', 'verify');
    expect(verify.status).toBe(1);
    expect(verify.output).toMatch(new RegExp(`stored files: 2 of 3 .*${damaged}: ${path} fails authentication`));
  });

  it('in a database page: reading it fails with a corruption error, never with changed data, and db check reports it', async () => {
    await Promise.all([rig.api!.stop(), rig.worker!.stop()]);
    rig.closeDb();
    const db = openDatabase({ path: join(rig.dataDir, 'tftsr.db'), key: TEST_KEY });
    db.pragma('wal_checkpoint(TRUNCATE)');
    // The leaf page holding the issues rows: a scan of the table has to read it.
    const page = db.prepare(`SELECT pageno FROM dbstat WHERE name = 'issues' AND pagetype = 'leaf'`).pluck().get() as number;
    db.close();
    flipByte(join(rig.dataDir, 'tftsr.db'), (page - 1) * PAGE_SIZE + 2000);

    const reopened = openDatabase({ path: join(rig.dataDir, 'tftsr.db'), key: TEST_KEY });
    try {
      expect(() => reopened.prepare('SELECT * FROM issues').all()).toThrow(expect.objectContaining({ code: 'SQLITE_CORRUPT' }));
    } finally {
      reopened.close();
    }

    const check = cli('db', 'check');
    expect(check.status).toBe(1);
    expect(check.output).toMatch(/malformed|fail authentication/);
    const report = await runPostChecks({ dataDir: rig.dataDir, key: TEST_KEY, accepted: files });
    expect(report.cipher.badPages).toEqual([page]);
    // SQLite reports the bad page either as one 'malformed' line or, once the codec error sticks, page by page.
    expect(report.integrity).not.toEqual(['ok']);
    expect(report.integrity.join('\n')).toMatch(/malformed|unable to get the page\. error code=11/);
  });
});
