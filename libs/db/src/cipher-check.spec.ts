import { closeSync, copyFileSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
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

  describe('on a live database, whose latest pages are partly only in the WAL', () => {
    /**
     * A checkpoint held back by a reader writes the pages whose latest frame the reader's snapshot allows and skips
     * the others: here it writes table v's pages, past table u's, and skips u's (updated since), which stay zeros in
     * the file. A copy of both files, taken meanwhile, is what `db verify` reads on a running service.
     */
    const liveCopy = (): { db: string; wal: string; zeroPages: number[] } => {
      const writer = openDatabase({ path, key: TEST_KEY });
      const reader = openDatabase({ path, key: TEST_KEY });
      try {
        writer.pragma('wal_autocheckpoint = 0');
        writer.exec('CREATE TABLE u (v TEXT); CREATE TABLE v (v TEXT)');
        const fill = (table: string, rows: number) => {
          const insert = writer.prepare(`INSERT INTO ${table} (v) VALUES (?)`);
          writer.transaction(() => {
            for (let i = 0; i < rows; i++) insert.run('u'.repeat(300));
          })();
        };
        fill('u', 100);
        fill('v', 30);
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) FROM u').get();
        writer.prepare(`UPDATE u SET v = ?`).run('w'.repeat(300));
        writer.pragma('wal_checkpoint(PASSIVE)');
        const copy = join(temp.dir, 'copy.db');
        copyFileSync(path, copy);
        copyFileSync(`${path}-wal`, `${copy}-wal`);
        reader.exec('COMMIT');
        const file = readFileSync(copy);
        const zeroPages: number[] = [];
        for (let n = 1; n * PAGE <= file.length; n++) if (file.subarray((n - 1) * PAGE, n * PAGE).every((b) => b === 0)) zeroPages.push(n);
        return { db: copy, wal: `${copy}-wal`, zeroPages };
      } finally {
        reader.close();
        writer.close();
      }
    };

    it('finds in the WAL the pages the file does not hold yet: none is bad', () => {
      const copy = liveCopy();
      expect(copy.zeroPages.length).toBeGreaterThan(0);
      const result = cipherIntegrityCheck(copy.db, TEST_KEY);
      expect(result.badPages).toEqual([]);
      expect(result.walPages).toBe(copy.zeroPages.length);
    });

    it('reports such a page when its latest frame in the WAL is altered', () => {
      const copy = liveCopy();
      const target = copy.zeroPages[0];
      // WAL: a 32-byte header, then frames of a 24-byte header (page number first) and the page.
      const wal = readFileSync(copy.wal);
      let latest = -1;
      for (let at = 32; at + 24 + PAGE <= wal.length; at += 24 + PAGE) if (wal.readUInt32BE(at) === target) latest = at + 24;
      expect(latest).toBeGreaterThan(0);
      const fd = openSync(copy.wal, 'r+');
      writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, latest + 100);
      closeSync(fd);
      const result = cipherIntegrityCheck(copy.db, TEST_KEY);
      expect(result.badPages).toEqual([target]);
      expect(result.walPages).toBe(copy.zeroPages.length - 1);
    });
  });
});
