import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigError } from '@tftsr/config';
import { loadConfig } from '@tftsr/config';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { WorkerConfig } from './worker.config';

const KEY = 'ab'.repeat(32);
const S3 = { TFTSR_BLOB_STORE: 's3', TFTSR_S3_BUCKET: 'tftsr', TFTSR_S3_ENDPOINT: 'http://minio:9000' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(WorkerConfig, env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('WorkerConfig roles (issue 19)', () => {
  it("runs every queue and scans files itself unless told otherwise (today's worker)", () => {
    const sut = loadConfig(WorkerConfig, {});
    expect(sut.TFTSR_WORKER_ROLE).toBe('all');
    expect(sut.TFTSR_WRITER_INGEST_CONCURRENCY).toBe(16);
  });

  it('starts a scanner with the bucket and the blob key, and no database key even in production', () => {
    const sut = loadConfig(WorkerConfig, { NODE_ENV: 'production', ...S3, TFTSR_WORKER_ROLE: 'scanner', TFTSR_BLOB_KEY: KEY });
    expect(sut.blobKey).toEqual(Buffer.from(KEY, 'hex'));
  });

  it('reads the blob key from TFTSR_BLOB_KEY_FILE (a Docker or Kubernetes secret)', () => {
    const temp = makeTempDir('tftsr-blob-key-');
    try {
      const file = join(temp.dir, 'blob.key');
      writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
      const sut = loadConfig(WorkerConfig, { ...S3, TFTSR_WORKER_ROLE: 'scanner', TFTSR_BLOB_KEY_FILE: file });
      expect(sut.blobKey.toString('hex')).toBe(KEY);
    } finally {
      temp.remove();
    }
  });

  it('refuses a scanner without the bucket and without a key, listing both', () => {
    expect(problems({ TFTSR_WORKER_ROLE: 'scanner' })).toEqual([
      expect.stringMatching(/^TFTSR_WORKER_ROLE=scanner: needs TFTSR_BLOB_STORE=s3/),
      expect.stringMatching(/^TFTSR_BLOB_KEY: required when TFTSR_WORKER_ROLE=scanner .*tftsr scanner export-key/),
    ]);
  });

  it('refuses a malformed blob key without repeating it, and a scanner that holds the database key', () => {
    const bad = `${'zz'.repeat(31)}0`;
    const found = problems({ ...S3, TFTSR_WORKER_ROLE: 'scanner', TFTSR_BLOB_KEY: bad, TFTSR_DB_KEY: 'a-database-key' });
    expect(found).toEqual([
      'TFTSR_BLOB_KEY: TFTSR_BLOB_KEY must be 64 hex digits (what `tftsr scanner export-key` writes)',
      expect.stringMatching(/^TFTSR_DB_KEY: a scanner must not hold the database key/),
    ]);
    expect(found.join('\n')).not.toContain(bad);
  });

  it('refuses a blob key file it cannot read, naming the file and not the key', () => {
    expect(problems({ ...S3, TFTSR_WORKER_ROLE: 'scanner', TFTSR_BLOB_KEY_FILE: '/nonexistent/blob.key' })).toEqual([
      'TFTSR_BLOB_KEY_FILE: cannot read /nonexistent/blob.key (ENOENT)',
      expect.stringMatching(/^TFTSR_BLOB_KEY: required/),
    ]);
  });

  it('refuses a writer on the filesystem store, a blob key outside a scanner, and an unknown role', () => {
    expect(problems({ TFTSR_WORKER_ROLE: 'writer', TFTSR_BLOB_KEY: KEY })).toEqual([
      'TFTSR_BLOB_KEY: only a scanner reads it (TFTSR_WORKER_ROLE is writer); unset it',
      expect.stringMatching(/^TFTSR_WORKER_ROLE=writer: needs TFTSR_BLOB_STORE=s3/),
    ]);
    expect(problems({ TFTSR_WORKER_ROLE: 'reader' })).toEqual([expect.stringMatching(/^TFTSR_WORKER_ROLE: /)]);
  });

  it('runs 16 ingest jobs at once (small files share commits) and 2 on large files, and bounds both', () => {
    const sut = loadConfig(WorkerConfig, {});
    expect([sut.TFTSR_WORKER_INGEST_CONCURRENCY, sut.TFTSR_WORKER_CONCURRENCY, sut.TFTSR_GROUP_COMMIT_WINDOW_MS]).toEqual([16, 2, 5]);
    expect(problems({ TFTSR_WORKER_INGEST_CONCURRENCY: '0', TFTSR_GROUP_COMMIT_WINDOW_MS: '500' })).toEqual([
      expect.stringMatching(/^TFTSR_WORKER_INGEST_CONCURRENCY: /),
      expect.stringMatching(/^TFTSR_GROUP_COMMIT_WINDOW_MS: /),
    ]);
  });
});
