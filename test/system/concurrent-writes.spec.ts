import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AuditLogRepository, deriveKey, loadMigrations, migrate, openDatabase } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';
import { expectIntactAfterFault } from './support/post-checks';

const WRITES_PER_PROCESS = 5000;

function startWriter(dbPath: string, role: string): { child: ChildProcessWithoutNullStreams; lines: AsyncIterableIterator<string> } {
  const child = spawn(process.execPath, [join(__dirname, 'support', 'write-storm.js'), dbPath, TEST_KEY, role, String(WRITES_PER_PROCESS)]);
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
}

describe('two processes writing the same encrypted file', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeAll(() => (temp = makeTempDir()));
  afterAll(() => temp.remove());

  it('see zero SQLITE_BUSY across 5,000 write transactions each, and the audit chain stays intact', async () => {
    const dbPath = join(temp.dir, 'tftsr.db');
    const setup = openDatabase({ path: dbPath, key: TEST_KEY });
    migrate(setup, loadMigrations());
    setup.close();

    const writers = [startWriter(dbPath, 'api'), startWriter(dbPath, 'worker')];
    for (const w of writers) expect((await w.lines.next()).value).toBe('ready');
    // Release both at once, so their transactions really interleave.
    for (const w of writers) w.child.stdin.write('go\n');
    const results = await Promise.all(writers.map(async (w) => JSON.parse((await w.lines.next()).value as string)));
    await Promise.all(writers.filter((w) => w.child.exitCode === null).map((w) => once(w.child, 'exit')));

    expect(results).toEqual([
      { role: 'api', busy: 0, other: 0 },
      { role: 'worker', busy: 0, other: 0 },
    ]);
    const db = openDatabase({ path: dbPath, key: TEST_KEY });
    const counts = db.prepare(`SELECT user_id, count(*) AS n FROM audit_log GROUP BY user_id ORDER BY user_id`).all();
    expect(counts).toEqual([
      { user_id: 'api', n: WRITES_PER_PROCESS },
      { user_id: 'worker', n: WRITES_PER_PROCESS },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM issues').get()).toEqual({ n: 2 * WRITES_PER_PROCESS });
    expect(new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac')).verify()).toMatchObject({
      intact: true,
      entries: 2 * WRITES_PER_PROCESS,
    });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    await expectIntactAfterFault({ dataDir: temp.dir, key: TEST_KEY, accepted: [] });
  }, 180_000);
});
