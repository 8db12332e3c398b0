import { SETTINGS_CACHE_MS, SettingsService } from '@tftsr/api/settings/settings.service';
import { AuditLogRepository, deriveKey, offLoopGroupCommit, openAndMigrate, SettingRepository, toDbTimestamp } from '@tftsr/db';
import type { Db } from '@tftsr/db';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

const quiet = { log: () => undefined, warn: () => undefined };

/** SettingsService.value() is cached: its own writes apply at once, another writer's within SETTINGS_CACHE_MS. */
describe('SettingsService value cache', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: SettingsService;

  beforeEach(() => {
    temp = makeTempDir();
    db = openAndMigrate({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY }, quiet);
    sut = new SettingsService(
      offLoopGroupCommit(db, 0),
      new SettingRepository(db),
      new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac')),
    );
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('applies a PUT through the service at once', async () => {
    const before = sut.value('uploads.max_files_per_issue');
    await sut.put('uploads.max_files_per_issue', before + 1, 'test');
    expect(sut.value('uploads.max_files_per_issue')).toBe(before + 1);
  });

  it('sees a change made by another writer once the cache time has passed', async () => {
    const before = sut.value('uploads.max_files_per_issue');
    new SettingRepository(db).upsert({ key: 'uploads.max_files_per_issue', value: String(before + 7), updated_at: toDbTimestamp() });
    await new Promise((r) => setTimeout(r, SETTINGS_CACHE_MS + 20));
    expect(sut.value('uploads.max_files_per_issue')).toBe(before + 7);
  });
});
