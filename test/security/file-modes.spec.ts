import { Logger } from '@nestjs/common';
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '@tftsr/db';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

/**
 * Issue 13, item 9: everything the service creates under the data directory (database, -wal, -shm, blobs, temp
 * files, backups) is 0600, every directory 0700, even under a umask of 0; anything more open is warned about at start.
 */
describe('file modes under the data directory', () => {
  const parent = makeTempDir('tftsr-sec-modes-');
  const dataDir = join(parent.dir, 'data');
  let api: TestApi | undefined;
  let umask: number;

  beforeAll(() => {
    umask = process.umask(0);
  });

  afterAll(async () => {
    process.umask(umask);
    await api?.close();
    parent.remove();
  });

  function modes(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    const visit = (path: string) => {
      const stat = lstatSync(path);
      out[path.slice(root.length) || '/'] = (stat.mode & 0o777).toString(8);
      if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    };
    visit(root);
    return out;
  }

  const expectPrivate = (root: string) => {
    const found = modes(root);
    const open = Object.entries(found).filter(([, mode]) => mode !== '600' && mode !== '700');
    expect(open).toEqual([]);
    return found;
  };

  it('creates the database, its -wal and -shm, blobs and temp directories private under umask 0', async () => {
    api = await startTestApi('sec-modes', { TFTSR_DATA_DIR: dataDir });
    const issue = await api.createIssue();
    expect(
      (
        await api.call('POST', `/v1/issues/${issue.id}/log-files?file_name=a.log`, {
          rawBody: 'a line\n',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(202);
    const found = expectPrivate(dataDir);
    expect(Object.keys(found)).toEqual(
      expect.arrayContaining(['/', '/tftsr.db', '/tftsr.db-wal', '/tftsr.db-shm', '/blobs', '/blobs/tmp']),
    );
    expect(Object.keys(found).filter((p) => p.endsWith('.blob'))).toHaveLength(1);
  });

  it('writes backups private too', async () => {
    const dest = join(parent.dir, 'backup-1');
    await createBackup({ db: api!.db, dataDir, key: TEST_KEY, dest });
    expect(Object.keys(expectPrivate(dest)).length).toBeGreaterThan(2);
  });

  it('warns at start about anything more open', async () => {
    await api!.close();
    api = undefined;
    chmodSync(join(dataDir, 'tftsr.db'), 0o644);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      api = await startTestApi('sec-modes-2', { TFTSR_DATA_DIR: dataDir });
      const warnings = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('open to other users'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${join(dataDir, 'tftsr.db')} (644)`);
    } finally {
      warn.mockRestore();
    }
  });
});
