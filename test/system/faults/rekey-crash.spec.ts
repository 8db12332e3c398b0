import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deriveKey, openDatabase } from '@tftsr/db';
import { decryptCredential, encryptCredential } from '@tftsr/integrations';
import { TEST_KEY } from '../../support/temp-dir';
import { waitFor } from '../../support/app-processes';
import { expectIntactAfterFault } from '../support/post-checks';
import { FaultRig, smallLog } from './fault-rig';

const KEYS = [TEST_KEY, 'first new key, rotated', 'second new key, rotated', 'third new key, rotated'];
const PHASES = ['exit-rekey-mid-backup', 'exit-rekey-mid-rewrite', 'exit-rekey-mid-rewrap'] as const;
const SECRET = 'canary-pat-survives-rekey';

/**
 * Issue 22, item 2: `tftsr db rekey` SIGKILLed at each phase (half the backup written; pages re-encrypted but
 * the audit chain and credentials not yet; some blobs rewrapped and some not) is finished by running the same
 * command again. It says what each step does and where the backup is before it does it; a backup is never left
 * half written under a good name.
 */
describe('tftsr db rekey killed at each phase', () => {
  let rig: FaultRig;
  const fileIds: string[] = [];

  beforeAll(async () => {
    rig = new FaultRig('rekey-crash');
    rig.startWorker();
    await rig.startApi();
    const issueId = await rig.createIssue();
    for (let i = 0; i < 3; i += 1) fileIds.push((await rig.upload(issueId, `rekeyed-${i}.log`, smallLog(`rekeyed-${i}`))).body.id);
    await rig.waitProcessed(fileIds, 60_000);
    const token = encryptCredential(SECRET, 'azuredevops', deriveKey(TEST_KEY, 'credential-encryption'));
    rig
      .db()
      .prepare(`INSERT INTO credentials (id, service, token_hash, encrypted_token, created_at) VALUES ('c1', 'azuredevops', 'h', ?, 'x')`)
      .run(token);
    rig.closeDb();
    await Promise.all([rig.api!.stop(), rig.worker!.stop()]);
  }, 120_000);
  afterAll(() => rig.close());

  const goodBackups = () => readdirSync(rig.dataDir).filter((n) => n.includes('.pre-rekey-backup-') && !n.endsWith('.partial'));
  const rekey = (from: string, to: string, fault?: string) =>
    rig.tftsr(['db', 'rekey'], {
      TFTSR_DB_KEY: from,
      TFTSR_DB_NEW_KEY: to,
      ...(fault ? { TFTSR_FAULT_INJECT: `test-only:${fault}` } : {}),
    });

  PHASES.forEach((phase, n) => {
    const [from, to] = [KEYS[n], KEYS[n + 1]];

    it(`killed at ${phase}, the same command run again finishes the rekey`, async () => {
      const before = goodBackups();
      const killed = await rekey(from, to, phase);
      expect([killed.signal, killed.output]).toEqual(['SIGKILL', expect.stringContaining(`FAULT INJECTION: killing process`)]);
      const announced = /1\/4 writing a backup of the database, still under the OLD key, to (\S+)/.exec(killed.output);
      expect(announced).not.toBeNull();
      if (phase === 'exit-rekey-mid-backup') expect(goodBackups()).toEqual(before);
      else expect(killed.output).toMatch(/if this is interrupted, run the same command again; the backup is /);

      if (phase === 'exit-rekey-mid-rewrap') {
        // The operator already switched TFTSR_DB_KEY to the new key: told exactly what to do, nothing refused blindly.
        const early = await rekey(to, to);
        expect(early.code).toBe(1);
        expect(early.output).toMatch(/unfinished.*run the same command with TFTSR_DB_KEY set to the OLD key/);
      }

      const rerun = await rekey(from, to);
      expect([rerun.code, rerun.output]).toEqual([0, expect.stringMatching(/rekeyed /)]);
      if (phase !== 'exit-rekey-mid-backup') expect(rerun.output).toContain(`resuming the db_rekey started`);
      expect(readdirSync(rig.dataDir).filter((f) => f.endsWith('.partial') || f.endsWith('.key-change.json'))).toEqual([]);

      const backups = goodBackups();
      expect(backups).toHaveLength(before.length + 1);
      const backup = join(rig.dataDir, backups.find((b) => !before.includes(b)) as string);
      openDatabase({ path: backup, key: from, readonly: true }).close();

      const verify = await rig.tftsr(['db', 'verify'], { TFTSR_DB_KEY: to });
      expect([verify.code, verify.output]).toEqual([
        0,
        expect.stringContaining('stored files: 3 of 3 present, intact and matching their rows'),
      ]);
      const db = openDatabase({ path: join(rig.dataDir, 'tftsr.db'), key: to, readonly: true });
      const token = db.prepare(`SELECT encrypted_token FROM credentials WHERE id = 'c1'`).pluck().get() as string;
      const rekeys = db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'db_rekey'`).pluck().get();
      db.close();
      expect(decryptCredential(token, 'azuredevops', deriveKey(to, 'credential-encryption'))).toBe(SECRET);
      expect(rekeys).toBe(n + 1);
      expect(existsSync(join(rig.dataDir, 'tftsr.db'))).toBe(true);
    }, 120_000);
  });

  it('the service runs under the last key, and every promise about the data holds', async () => {
    const key = KEYS[KEYS.length - 1];
    rig.startWorker({ TFTSR_DB_KEY: key });
    await rig.startApi({ TFTSR_DB_KEY: key });
    const issueId = (await rig.call('GET', `/v1/log-files/${fileIds[0]}`)).body.issue_id as string;
    const after = await rig.upload(issueId, 'after-rekey.log', smallLog('after-rekey'));
    expect(after.status).toBe(202);
    // rig.db() holds the first key; ask the API instead.
    await waitFor(
      async () => (await rig.call('GET', `/v1/log-files/${after.body.id}`)).body.status === 'ready',
      60_000,
      () => rig.logs(),
    );
    rig.accepted.push(after.body.id);
    rig.accepted.push(...fileIds);
    await expectIntactAfterFault({ dataDir: rig.dataDir, key, accepted: rig.accepted });
  }, 120_000);
});
