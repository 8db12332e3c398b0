import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { OperationsConfig } from './operations.config';

export const BLOB_STORES = ['filesystem', 's3'] as const;
export type BlobStoreKind = (typeof BLOB_STORES)[number];

/** What `openBlobStore` (libs/storage) needs for a bucket; credentials unset mean the AWS SDK's default chain. */
export interface S3Settings {
  endpoint?: string;
  region: string;
  bucket: string;
  prefix: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  partSize: number;
}

const S3_ONLY = ['TFTSR_S3_BUCKET', 'TFTSR_S3_ENDPOINT', 'TFTSR_S3_ACCESS_KEY_ID', 'TFTSR_S3_SECRET_ACCESS_KEY'] as const;

export type BlobStorageSettings = { kind: 'filesystem' } | { kind: 's3'; s3: S3Settings };

/**
 * Where blobs live: `{data_dir}/blobs` (the default) or an S3-compatible bucket. Shared by the API, the worker
 * and the CLI, which must all point at the same store. TFTSR_S3_SECRET_ACCESS_KEY is a secret (also as _FILE).
 */
export class BlobStorageConfig extends OperationsConfig {
  @IsIn(BLOB_STORES)
  TFTSR_BLOB_STORE: BlobStoreKind = 'filesystem';

  @IsOptional()
  @IsString()
  TFTSR_S3_BUCKET?: string;

  /** Unset: AWS S3 itself. MinIO, Ceph RGW, R2: the store's URL. */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  TFTSR_S3_ENDPOINT?: string;

  @IsString()
  TFTSR_S3_REGION = 'us-east-1';

  /** Key prefix inside the bucket, e.g. `tftsr/`: empty, or ending in `/`, never starting with one. */
  @Matches(/^$|^[^/].*\/$/, { message: 'TFTSR_S3_PREFIX must be empty or end with "/" (and not start with one)' })
  TFTSR_S3_PREFIX = '';

  /** 1 for MinIO and most self-hosted stores (`http://host/bucket/key`). */
  @IsIn(['0', '1'])
  TFTSR_S3_FORCE_PATH_STYLE: '0' | '1' = '0';

  @IsOptional()
  @IsString()
  TFTSR_S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  TFTSR_S3_SECRET_ACCESS_KEY?: string;

  /** Multipart part size; S3 refuses parts under 5 MiB. Memory per upload in flight is about 3 parts. */
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(512)
  TFTSR_S3_PART_SIZE_MIB = 8;

  get blobStorage(): BlobStorageSettings {
    if (this.TFTSR_BLOB_STORE === 'filesystem') return { kind: 'filesystem' };
    const { TFTSR_S3_ACCESS_KEY_ID: accessKeyId, TFTSR_S3_SECRET_ACCESS_KEY: secretAccessKey } = this;
    return {
      kind: 's3',
      s3: {
        endpoint: this.TFTSR_S3_ENDPOINT,
        region: this.TFTSR_S3_REGION,
        bucket: this.TFTSR_S3_BUCKET ?? '',
        prefix: this.TFTSR_S3_PREFIX,
        forcePathStyle: this.TFTSR_S3_FORCE_PATH_STYLE === '1',
        credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
        partSize: this.TFTSR_S3_PART_SIZE_MIB * 1024 * 1024,
      },
    };
  }

  /** Never a value: the secret is only said to be missing or present. */
  blobStorageProblems(): string[] {
    const problems: string[] = [];
    const s3Set = S3_ONLY.filter((name) => this[name] !== undefined);
    if (this.TFTSR_BLOB_STORE === 's3') {
      if (!this.TFTSR_S3_BUCKET) problems.push('TFTSR_S3_BUCKET: required when TFTSR_BLOB_STORE=s3');
      if (!this.TFTSR_S3_ACCESS_KEY_ID !== !this.TFTSR_S3_SECRET_ACCESS_KEY) {
        problems.push(
          'TFTSR_S3_ACCESS_KEY_ID and TFTSR_S3_SECRET_ACCESS_KEY: set both, or neither (then the AWS SDK default credential chain is used)',
        );
      }
    } else if (s3Set.length > 0) {
      problems.push(`${s3Set.join(', ')}: set, but TFTSR_BLOB_STORE is filesystem; set TFTSR_BLOB_STORE=s3 to use the bucket`);
    }
    return problems;
  }
}
