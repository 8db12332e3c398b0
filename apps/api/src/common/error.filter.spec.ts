import { join } from 'node:path';
import { openDatabase } from '@tftsr/db';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { DomainError, ErrorCode } from './domain-error';
import { busyToDomainError } from './error.filter';

describe('busyToDomainError', () => {
  it('turns a real SQLITE_BUSY into 503 DATABASE_BUSY with Retry-After, and leaves other errors alone', () => {
    const temp = makeTempDir();
    const path = join(temp.dir, 'busy.db');
    const holder = openDatabase({ path, key: null });
    const other = openDatabase({ path, key: null, busyTimeoutMs: 5000 });
    other.pragma('busy_timeout = 10');
    holder.exec('CREATE TABLE t (x)');
    holder.exec('BEGIN IMMEDIATE');
    let busy: unknown;
    try {
      other.exec('BEGIN IMMEDIATE');
    } catch (err) {
      busy = err;
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      other.close();
      temp.remove();
    }
    const warnings: string[] = [];
    const mapped = busyToDomainError(busy, { warn: (m: string) => warnings.push(m) });
    expect(mapped).toBeInstanceOf(DomainError);
    expect(mapped).toMatchObject({ code: ErrorCode.DATABASE_BUSY, headers: { 'Retry-After': '2' } });
    expect(warnings).toHaveLength(1);

    const other500 = new Error('boom');
    expect(busyToDomainError(other500, { warn: () => undefined })).toBe(other500);
  });
});
