import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { openDatabase } from '@tftsr/db';
import { TEST_KEY } from '../../support/temp-dir';
import { runPostChecks } from '../support/post-checks';
import { FaultRig } from './fault-rig';

const TFTSR = join(__dirname, '..', '..', '..', 'bin', 'tftsr.js');

type Row = Record<string, unknown> & { rowid: number; id: string };

/**
 * Catalogue 25b (issue 7, fault 13): someone with the file and its key edits, deletes and cuts off audit
 * rows while the API runs. The HMAC chain names the first broken entry (GET /v1/audit/verify,
 * `tftsr db verify`, the post-checks), and the head record catches a cut tail, even after new entries.
 * Each case is undone before the next, and the chain verifies again.
 */
describe('audit rows tampered with in the encrypted file', () => {
  let rig: FaultRig;
  let tamper: Db;
  let original: Row[];

  beforeAll(async () => {
    rig = new FaultRig('audit-tamper');
    await rig.startApi();
    await rig.waitReady();
    for (let i = 0; i < 3; i += 1) {
      const id = await rig.createIssue();
      await rig.call('PATCH', `/v1/issues/${id}`, { status: 'resolved' });
    }
    // The attacker's own connection, straight to the encrypted file with the database key.
    tamper = openDatabase({ path: join(rig.dataDir, 'tftsr.db'), key: TEST_KEY });
    original = rows();
    expect(original.length).toBeGreaterThanOrEqual(8);
  }, 60_000);
  afterAll(async () => {
    tamper.close();
    await rig.close();
  });

  function rows(): Row[] {
    return tamper.prepare('SELECT rowid, * FROM audit_log ORDER BY rowid').all() as Row[];
  }
  const put = (row: Row) =>
    tamper
      .prepare(
        `INSERT INTO audit_log (rowid, id, timestamp, action, entity_type, entity_id, user_id, details, prev_hash, entry_hash)
         VALUES (@rowid, @id, @timestamp, @action, @entity_type, @entity_id, @user_id, @details, @prev_hash, @entry_hash)`,
      )
      .run(row);

  async function verdicts(): Promise<{ api: unknown; cli: string; postChecks: unknown }> {
    const api = (await rig.call('GET', '/v1/audit/verify')).body;
    const run = spawnSync(process.execPath, [TFTSR, 'db', 'verify'], {
      env: { PATH: process.env.PATH ?? '', TFTSR_DATA_DIR: rig.dataDir, TFTSR_DB_KEY: TEST_KEY },
      encoding: 'utf8',
    });
    const cli = `${run.status}: ${/^audit chain: .*$/m.exec(run.stdout)?.[0] ?? run.stdout + run.stderr}`;
    const postChecks = (await runPostChecks({ dataDir: rig.dataDir, key: TEST_KEY, accepted: [] })).audit;
    return { api, cli, postChecks };
  }

  async function expectIntact(): Promise<void> {
    const { api, cli, postChecks } = await verdicts();
    expect(api).toMatchObject({ intact: true, entries: original.length });
    expect(cli).toBe(`0: audit chain: intact (${original.length} entries)`);
    expect(postChecks).toMatchObject({ intact: true });
  }

  it('an edited entry is named by position by every verifier', async () => {
    const target = original[2];
    tamper.prepare(`UPDATE audit_log SET user_id = 'someone-else' WHERE rowid = ?`).run(target.rowid);
    const { api, cli, postChecks } = await verdicts();
    expect(api).toMatchObject({
      intact: false,
      head_hash: null,
      first_broken: { id: target.id, position: 3, reason: expect.stringMatching(/edited/) },
    });
    expect(cli).toMatch(/^1: audit chain: broken at entry 3: entry_hash does not match the entry: it was edited$/);
    expect(postChecks).toMatchObject({ intact: false, first_broken: { position: 3 } });

    tamper.prepare('UPDATE audit_log SET user_id = ? WHERE rowid = ?').run(target.user_id, target.rowid);
    await expectIntact();
  });

  it('a deleted entry is named by the position of the entry that follows it', async () => {
    const target = original[1];
    tamper.prepare('DELETE FROM audit_log WHERE rowid = ?').run(target.rowid);
    const { api, cli, postChecks } = await verdicts();
    expect(api).toMatchObject({
      intact: false,
      first_broken: { id: original[2].id, position: 2, reason: expect.stringMatching(/removed, reordered or inserted/) },
    });
    expect(cli).toMatch(/^1: audit chain: broken at entry 2: prev_hash does not match/);
    expect(postChecks).toMatchObject({ intact: false, first_broken: { position: 2 } });

    put(target);
    await expectIntact();
  });

  // The HMAC key derives from the database key, so this stops an editor without the key, not one holding it:
  // catching that needs the head exported outside the database (the catalogue's anchor), which is not done yet.
  it('a head record rewritten to match a cut chain is caught by its MAC', async () => {
    const last = original[original.length - 1];
    const head = tamper.prepare('SELECT entry_count, head_hash, mac FROM audit_head WHERE id = 1').get() as {
      entry_count: number;
      head_hash: string;
      mac: string;
    };
    // Cut the last entry and make the head agree with the shorter chain, but with a MAC made up.
    tamper.prepare('DELETE FROM audit_log WHERE rowid = ?').run(last.rowid);
    tamper
      .prepare('UPDATE audit_head SET entry_count = ?, head_hash = ?, mac = ? WHERE id = 1')
      .run(head.entry_count - 1, original[original.length - 2].entry_hash, 'f'.repeat(64));
    const { api, cli } = await verdicts();
    expect(api).toMatchObject({ intact: false, first_broken: { id: null, reason: 'the chain head record was edited' } });
    expect(cli).toMatch(/^1: audit chain: broken at entry \d+: the chain head record was edited$/);

    tamper
      .prepare('UPDATE audit_head SET entry_count = ?, head_hash = ?, mac = ? WHERE id = 1')
      .run(head.entry_count, head.head_hash, head.mac);
    put(last);
    await expectIntact();
  });

  it('a cut tail is caught against the head record, and stays caught after the API appends new entries', async () => {
    const cut = original.slice(-2);
    tamper.prepare('DELETE FROM audit_log WHERE rowid >= ?').run(cut[0].rowid);
    let found = await verdicts();
    expect(found.api).toMatchObject({
      intact: false,
      entries: original.length - 2,
      first_broken: { id: null, position: original.length - 1, reason: expect.stringMatching(/removed from its end/) },
    });
    expect(found.cli).toMatch(/^1: audit chain: broken at entry \d+: the chain ends after \d+ entries, but \d+ were written/);

    // Truncate-and-re-append: the next entry links to the head, i.e. to the removed entry, so the gap shows.
    await rig.createIssue();
    found = await verdicts();
    expect(found.api).toMatchObject({
      intact: false,
      first_broken: { position: original.length - 1, reason: expect.stringMatching(/removed, reordered or inserted/) },
    });
    expect(found.postChecks).toMatchObject({ intact: false, first_broken: { position: original.length - 1 } });
  });
});
