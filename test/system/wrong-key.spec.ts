import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMigrations, migrate, openDatabase } from '@tftsr/db';
import { startApp } from '../support/app-processes';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

describe('starting with the wrong key or a bad configuration', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.remove());

  it.each(['api', 'worker'] as const)('the %s exits non-zero with one clear line and leaves the file unchanged', async (kind) => {
    const path = join(temp.dir, 'tftsr.db');
    const db = openDatabase({ path, key: TEST_KEY });
    migrate(db, loadMigrations());
    db.close();
    const before = readFileSync(path);

    const app = startApp(kind, {
      TFTSR_DATA_DIR: temp.dir,
      TFTSR_DB_KEY: 'not the right key',
      TFTSR_QUEUE_PREFIX: uniqueQueuePrefix('key'),
    });
    const code = await new Promise<number | null>((resolve) => app.child.once('exit', resolve));

    expect(code).toBe(1);
    expect(app.output()).toContain(`tftsr ${kind}: database key is wrong, or the file is not a TFTSR database\n`);
    expect(app.output()).not.toContain('at ');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('lists every bad variable at once and exits non-zero', async () => {
    const app = startApp('api', { TFTSR_DATA_DIR: temp.dir, PORT: 'eighty', REDIS_URL: 'http://nope', NODE_ENV: 'production' });
    const code = await new Promise<number | null>((resolve) => app.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(app.output()).toMatch(/PORT/);
    expect(app.output()).toMatch(/REDIS_URL/);
    expect(app.output()).toMatch(/TFTSR_DB_KEY: a database key is required when NODE_ENV=production/);
  });
});
