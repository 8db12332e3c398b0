import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import type { PageReader } from './cipher-check';
import { cipherIntegrityCheck } from './cipher-check';
import { openDatabase } from './database';

const PAGE = 4096;

describe('cipherIntegrityCheck', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'check.db');
    const db = openDatabase({ path, key: TEST_KEY });
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(200));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  });
  afterEach(() => temp.remove());

  const fileReader = (): { read: PageReader; close: () => void } => {
    const fd = openSync(path, 'r');
    return { read: (buffer, offset) => void readSync(fd, buffer, 0, buffer.length, offset), close: () => closeSync(fd) };
  };

  it('finds every page of an intact database authentic', () => {
    const result = cipherIntegrityCheck(path, TEST_KEY);
    expect(result.pages).toBeGreaterThan(5);
    expect(result.badPages).toEqual([]);
  });

  it('reads again a page that fails once, as a checkpoint writing it meanwhile makes it: a torn read is not a bad page', () => {
    const file = fileReader();
    let torn = 0;
    // Page 3's first read comes back half old, half zeros, as a read racing a write of that page can.
    const tearOnce: PageReader = (buffer, offset) => {
      file.read(buffer, offset);
      if (offset === 2 * PAGE && torn++ === 0) buffer.fill(0, PAGE / 2);
    };
    try {
      expect(cipherIntegrityCheck(path, TEST_KEY, tearOnce).badPages).toEqual([]);
      expect(torn).toBeGreaterThan(1);
    } finally {
      file.close();
    }
  });

  it('reports a page that fails every read', () => {
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, 2 * PAGE + 100);
    closeSync(fd);
    expect(cipherIntegrityCheck(path, TEST_KEY).badPages).toEqual([3]);
  });
});
