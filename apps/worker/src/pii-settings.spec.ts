import { join } from 'node:path';
import { Db, openAndMigrate, toDbTimestamp } from '../../../libs/db/src';
import { makeTempDir } from '../../../test/support/temp-dir';
import { SETTINGS } from '../../api/src/settings/settings.registry';
import { readRedactionSettings } from './pii-settings';

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
  const put = (key: string, json: string) => db.prepare('INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run(key, json, toDbTimestamp());

  it('reads the registry’s defaults when nothing is stored', () => {
    expect(readRedactionSettings(db)).toEqual({
      replacementStyle: SETTINGS['pii.replacement_style'].default,
      wipeOriginalBlob: SETTINGS['pii.wipe_original_blob'].default,
      finalizeAfterDays: SETTINGS['pii.finalize_after_days'].default,
    });
  });

  it('reads stored values, and falls back to the default for one it cannot use', () => {
    put('pii.replacement_style', '"pseudonym"');
    put('pii.wipe_original_blob', 'true');
    put('pii.finalize_after_days', '0');
    expect(readRedactionSettings(db)).toEqual({ replacementStyle: 'pseudonym', wipeOriginalBlob: true, finalizeAfterDays: 0 });
    put('pii.replacement_style', '"emoji"');
    put('pii.finalize_after_days', 'not json');
    expect(readRedactionSettings(db)).toMatchObject({ replacementStyle: 'type', finalizeAfterDays: 30 });
  });
});
