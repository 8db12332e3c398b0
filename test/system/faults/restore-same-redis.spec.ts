import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FaultRig, smallLog } from './fault-rig';

const FILES = 6;

/**
 * Issue 22, item 1: a backup taken while jobs wait in Redis, restored, and the service started again on the same
 * Redis and queue prefix. Redis still holds those very jobs as completed; the restored rows say they never ran.
 * The database is the truth: every file of the backup is processed again, once.
 */
describe('restoring onto the same Redis', () => {
  let rig: FaultRig;
  let files: string[];
  const backupDir = () => join(rig.temp.dir, 'backup');

  beforeAll(async () => {
    rig = new FaultRig('restore-same-redis');
    // No worker yet: the backup catches every job dispatched but not run.
    await rig.startApi();
    const issueId = await rig.createIssue();
    files = [];
    for (let i = 0; i < FILES; i += 1)
      files.push((await rig.upload(issueId, `before-backup-${i}.log`, smallLog(`before-backup-${i}`))).body.id);
    const backup = await rig.tftsr(['db', 'backup', backupDir()]);
    expect(backup.code).toBe(0);
    rig.startWorker();
    await rig.waitProcessed(files, 60_000);
    await stopBoth();
  }, 120_000);
  afterAll(() => rig.close());

  async function stopBoth(): Promise<void> {
    rig.closeDb();
    await Promise.all([rig.api?.stop('SIGTERM'), rig.worker?.stop('SIGTERM')]);
  }

  it('after `tftsr db restore`, every restored file is processed again, although Redis remembers its jobs as completed', async () => {
    const restore = await rig.tftsr(['db', 'restore', backupDir(), '--force']);
    expect(restore.code).toBe(0);
    expect(restore.output).toContain('new restore generation');
    expect(rig.readyCount(files)).toBe(0);

    rig.startWorker();
    await rig.startApi();
    await rig.waitProcessed(files, 60_000);
    await rig.postChecks();
    await stopBoth();
  }, 120_000);

  it('after a restore by file copy (the generation unchanged), a job completed in Redis but not in the database runs again', async () => {
    // A volume snapshot put back by hand: the database is older than Redis, and nothing told the service.
    rmSync(join(rig.dataDir, 'tftsr.db-wal'), { force: true });
    rmSync(join(rig.dataDir, 'tftsr.db-shm'), { force: true });
    copyFileSync(join(backupDir(), 'tftsr.db'), join(rig.dataDir, 'tftsr.db'));
    const dispatched = rig.count(`SELECT count(*) AS n FROM outbox WHERE state = 'dispatched'`);
    expect(dispatched).toBe(FILES * 2);

    rig.startWorker();
    await rig.startApi();
    await rig.waitProcessed(files, 60_000);
    await rig.postChecks();
  }, 120_000);
});
