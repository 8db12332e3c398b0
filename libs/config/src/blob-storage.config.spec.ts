import { configProblems as problems } from '@tftsr/test-support/config-problems';
import { BaseConfig } from './base.config';
import { loadConfig } from './load-config';

describe('BlobStorageConfig', () => {
  const s3 = { TFTSR_BLOB_STORE: 's3', TFTSR_S3_BUCKET: 'tftsr', TFTSR_S3_ENDPOINT: 'http://minio:9000', TFTSR_S3_FORCE_PATH_STYLE: '1' };

  it('keeps blobs on the filesystem unless told otherwise', () => {
    expect(loadConfig(BaseConfig, {}).blobStorage).toEqual({ kind: 'filesystem' });
  });

  it('builds the bucket settings, with the part size in bytes and the SDK chain when no keys are given', () => {
    expect(loadConfig(BaseConfig, { ...s3, TFTSR_S3_PREFIX: 'prod/' }).blobStorage).toEqual({
      kind: 's3',
      s3: {
        endpoint: 'http://minio:9000',
        region: 'us-east-1',
        bucket: 'tftsr',
        prefix: 'prod/',
        forcePathStyle: true,
        credentials: undefined,
        partSize: 8 * 1024 * 1024,
      },
    });
  });

  it('lists every bad bucket setting at once, and never a secret', () => {
    const found = problems({
      TFTSR_BLOB_STORE: 's3',
      TFTSR_S3_ENDPOINT: 'minio:9000',
      TFTSR_S3_PREFIX: '/x',
      TFTSR_S3_PART_SIZE_MIB: '2',
      TFTSR_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-secret',
    });
    expect(found).toEqual([
      expect.stringMatching(/^TFTSR_S3_ENDPOINT/),
      expect.stringMatching(/^TFTSR_S3_PREFIX/),
      expect.stringMatching(/^TFTSR_S3_PART_SIZE_MIB/),
      expect.stringMatching(/^TFTSR_S3_BUCKET: required when TFTSR_BLOB_STORE=s3/),
      expect.stringMatching(/^TFTSR_S3_ACCESS_KEY_ID and TFTSR_S3_SECRET_ACCESS_KEY: set both, or neither/),
    ]);
    expect(found.join('\n')).not.toContain('wJalrXUtnFEMI');
  });

  it('refuses bucket settings while the store is the filesystem: blobs would silently stay local', () => {
    expect(problems({ TFTSR_S3_BUCKET: 'tftsr' })).toEqual([
      expect.stringMatching(/^TFTSR_S3_BUCKET: set, but TFTSR_BLOB_STORE is filesystem/),
    ]);
  });
});
