import { randomBytes } from 'node:crypto';
import { BlobUnreadableError, S3BlobStore } from '@tftsr/storage';
import type { TestS3 } from '@tftsr/test-support/s3-server';
import { startTestS3 } from '@tftsr/test-support/s3-server';
import type { ScanOrder } from './scan-work';
import { readRedactResult } from './redact-work';
import {
  orderPath,
  readOrder,
  readResult,
  removeWork,
  ResultWriter,
  resultPath,
  WorkKeyMismatch,
  WorkObjectGone,
  writeOrder,
} from './scan-work';

/** Real: s3rver on a temporary directory, the blob format, two keys. Nothing mocked. */
describe('scan work orders and results (issue 19)', () => {
  let s3: TestS3;
  const key = randomBytes(32);
  let sut: S3BlobStore;
  let otherKey: S3BlobStore;

  beforeAll(async () => {
    s3 = await startTestS3();
    sut = new S3BlobStore(s3.settings('work-spec/'), key);
    otherKey = new S3BlobStore(s3.settings('work-spec/'), randomBytes(32));
  });
  afterAll(async () => {
    sut.destroy();
    otherKey.destroy();
    await s3.close();
  });

  const order: ScanOrder = {
    v: 1,
    log_file_id: 'file-1',
    blob_path: 'blobs/ab/ab0c5d3e-0000-4000-8000-000000000001.blob',
    expected_size: 1234,
    mode: 'scan',
    config: { enabledTypes: ['Email', 'Password'], allowList: ['ops@example.org'], customRules: [] },
  };
  const secret = 'Planted-Secret-41f7';
  const span = (i: number) => ({
    pii_type: 'Password' as const,
    start_offset: i * 10,
    end_offset: i * 10 + 8,
    original_value: `${secret}-${i}-é`,
    replacement: '[PASSWORD]',
  });

  it('round-trips an order, sealed: the bucket holds no byte of its settings', async () => {
    await writeOrder(sut, 'w1', order);
    expect(await readOrder(sut, 'w1')).toEqual(order);
    const stored = Buffer.concat(s3.storedFiles().map((f) => f.bytes));
    expect(stored.includes(Buffer.from('ops@example.org'))).toBe(false);
  });

  it('streams a result of many batches back in order, with its totals, and stores no original value in clear', async () => {
    const batches = [0, 1, 2].map((b) => Array.from({ length: 3000 }, (_, i) => span(b * 3000 + i)));
    const totals = { sha256: 'f'.repeat(64), size: 99, spans: 9000, counts: { Password: 9000 } };
    const writer = new ResultWriter(sut, 'w2');
    for (const batch of batches) await writer.batch(batch);
    await writer.finish(totals);

    const read: (typeof batches)[number][] = [];
    expect(await readResult(sut, 'w2', (b) => void read.push(b as (typeof batches)[number]))).toEqual(totals);
    expect(read).toEqual(batches);
    const stored = Buffer.concat(s3.storedFiles().map((f) => f.bytes));
    expect(stored.includes(Buffer.from(secret))).toBe(false);
  });

  it('refuses an order or a result sealed under another key, naming the fix', async () => {
    await expect(readOrder(otherKey, 'w1')).rejects.toThrow(WorkKeyMismatch);
    await expect(readOrder(otherKey, 'w1')).rejects.toThrow(/tftsr scanner export-key/);
    await expect(readResult(otherKey, 'w2', () => undefined)).rejects.toThrow(WorkKeyMismatch);
  });

  it('stores nothing when a result is aborted, and removes a work item whole', async () => {
    const writer = new ResultWriter(sut, 'w3');
    await writer.batch([span(1)]);
    await writer.abort();
    expect(await sut.exists(resultPath('w3'))).toBe(false);

    await removeWork(sut, 'w2');
    await removeWork(sut, 'w1');
    expect([await sut.exists(orderPath('w1')), await sut.exists(resultPath('w2'))]).toEqual([false, false]);
  });

  it('tells a work object that is gone from a stored file that is missing: the writer retries, it does not give up', async () => {
    // An overlapping run of the same job released the work under this one, between its wait and its read.
    for (const read of [
      () => readOrder(sut, 'gone'),
      () => readResult(sut, 'gone', () => undefined),
      () => readRedactResult(sut, 'gone'),
    ]) {
      const err = (await read().catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(WorkObjectGone);
      expect(err).not.toBeInstanceOf(BlobUnreadableError);
      expect(err.message).toMatch(/work\/gone\.(order|result) is gone/);
    }
  });
});
