import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import type { Db } from './database';
import { openDatabase, transaction } from './database';
import { walSizeBytes, WalMonitor } from './wal';

const THRESHOLD = 1024 * 1024;

describe('WalMonitor', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;
  let writer: Db;
  let reader: Db;
  const messages: string[] = [];
  const logger = { log: (m: string) => messages.push(m), warn: (m: string) => messages.push(m) };

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'tftsr.db');
    writer = openDatabase({ path, key: TEST_KEY });
    writer.exec('CREATE TABLE filler (data BLOB)');
    reader = openDatabase({ path, key: TEST_KEY });
    messages.length = 0;
  });
  afterEach(() => {
    reader.close();
    writer.close();
    temp.remove();
  });

  /** Many small commits, as the apps make them: each one lets the automatic (PASSIVE) checkpoint try. */
  function write(bytes: number): void {
    const insert = writer.prepare('INSERT INTO filler (data) VALUES (?)');
    for (let done = 0; done < bytes; done += 64 * 1024) transaction(writer, () => insert.run(randomBytes(64 * 1024)));
  }

  it('reports 0 bytes when there is no WAL file', () => {
    expect(walSizeBytes(join(temp.dir, 'absent.db'))).toBe(0);
  });

  it('leaves a WAL under the threshold alone', () => {
    write(100 * 1024);
    const sut = new WalMonitor(writer, { path, thresholdBytes: THRESHOLD, intervalMs: 0, logger });
    expect(sut.tick()).toMatchObject({ attempted: false });
  });

  it('cannot shrink the WAL while a long reader holds a snapshot, and brings it under the threshold once the reader is gone', () => {
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM filler').get();
    write(4 * THRESHOLD);
    expect(walSizeBytes(path)).toBeGreaterThan(3 * THRESHOLD);
    const sut = new WalMonitor(writer, { path, thresholdBytes: THRESHOLD, intervalMs: 0, logger });

    const blocked = sut.tick();
    expect(blocked).toMatchObject({ attempted: true, busy: true });
    expect(blocked.after).toBeGreaterThan(THRESHOLD);
    // The automatic checkpoint alone would never give the space back, even with the reader gone.
    reader.exec('COMMIT');
    write(64 * 1024);
    expect(walSizeBytes(path)).toBeGreaterThan(THRESHOLD);

    const freed = sut.tick();
    expect(freed).toMatchObject({ attempted: true, busy: false });
    expect(walSizeBytes(path)).toBeLessThan(THRESHOLD);
    expect(messages).toEqual([
      expect.stringMatching(/long reader or writer holds it/),
      expect.stringMatching(/checkpointed and truncated to 0\.0 MiB/),
    ]);
    // Nothing was lost on the way.
    expect((reader.prepare('SELECT count(*) AS n FROM filler').get() as { n: number }).n).toBe(65);
  });
});
