import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { AuditLogRepository, deriveKey, offLoopGroupCommit, openAndMigrate, SettingRepository, toDbTimestamp } from '@tftsr/db';
import { PII_TYPE_ORDER, readPiiConfig, readRedactionSettings } from '@tftsr/pii';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';
import { SETTINGS } from '@tftsr/api/settings/settings.registry';
import { SettingsService } from '@tftsr/api/settings/settings.service';

describe('readRedactionSettings', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  beforeEach(() => {
    temp = makeTempDir();
    db = openAndMigrate({ path: join(temp.dir, 'tftsr.db'), key: null }, { log: () => undefined, warn: () => undefined });
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });
  const put = (key: string, json: string) =>
    db.prepare('INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run(key, json, toDbTimestamp());

  it('reads the registry’s defaults when nothing is stored', () => {
    expect(readRedactionSettings(new SettingRepository(db))).toEqual({
      replacementStyle: SETTINGS['pii.replacement_style'].default,
      wipeOriginalBlob: SETTINGS['pii.wipe_original_blob'].default,
      finalizeAfterDays: SETTINGS['pii.finalize_after_days'].default,
    });
  });

  it('reads stored values, and falls back to the default for one it cannot use', () => {
    put('pii.replacement_style', '"pseudonym"');
    put('pii.wipe_original_blob', 'true');
    put('pii.finalize_after_days', '0');
    const settings = new SettingRepository(db);
    expect(readRedactionSettings(settings)).toEqual({ replacementStyle: 'pseudonym', wipeOriginalBlob: true, finalizeAfterDays: 0 });
    put('pii.replacement_style', '"emoji"');
    put('pii.finalize_after_days', 'not json');
    expect(readRedactionSettings(new SettingRepository(db))).toMatchObject({ replacementStyle: 'type', finalizeAfterDays: 30 });
  });
});

describe('pii.enabled_types across releases that add PII types', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let settings: SettingsService;
  beforeEach(() => {
    temp = makeTempDir();
    db = openAndMigrate({ path: join(temp.dir, 'tftsr.db'), key: null }, { log: () => undefined, warn: () => undefined });
    settings = new SettingsService(
      offLoopGroupCommit(db, 0),
      new SettingRepository(db),
      new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac')),
    );
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });
  const stored = () => (db.prepare(`SELECT value FROM settings WHERE key = 'pii.enabled_types'`).get() as { value: string }).value;

  it('enables a type added after a list was saved (DateOfBirth), in the worker and in the API, and keeps what the list turned off', () => {
    // A list saved before DateOfBirth existed: everything but Phone and Hostname.
    const saved = PII_TYPE_ORDER.filter((t) => !['Phone', 'Hostname', 'DateOfBirth', 'Custom'].includes(t));
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.enabled_types', ?, ?)`).run(
      JSON.stringify(saved),
      toDbTimestamp(),
    );
    const expected = PII_TYPE_ORDER.filter((t) => !['Phone', 'Hostname'].includes(t));
    expect(readPiiConfig(new SettingRepository(db)).enabledTypes).toEqual(expected);
    expect(settings.value('pii.enabled_types')).toEqual(expected);
  });

  it('stores what a PUT turned off, so that a type the service learns later is on; GET answers the enabled list as before', async () => {
    const enabled = PII_TYPE_ORDER.filter((t) => t !== 'Phone');
    expect((await settings.put('pii.enabled_types', enabled, 'admin')).value).toEqual(enabled);
    expect(JSON.parse(stored())).toEqual({ disabled: ['Phone'] });
    expect(settings.get('pii.enabled_types')).toMatchObject({ value: enabled, is_default: false });
    expect(readPiiConfig(new SettingRepository(db)).enabledTypes).toEqual(enabled);
    // A type unknown to this release in the stored set of disabled ones is ignored, not an error.
    db.prepare(`UPDATE settings SET value = '{"disabled":["Phone","Nickname"]}' WHERE key = 'pii.enabled_types'`).run();
    expect(settings.value('pii.enabled_types')).toEqual(enabled);
    expect(readPiiConfig(new SettingRepository(db)).enabledTypes).toEqual(enabled);
  });
});
