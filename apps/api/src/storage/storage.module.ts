import { DynamicModule, Global, Module } from '@nestjs/common';
import { deriveKey } from '../../../../libs/db/src';
import { BlobStore, QuotaBlobStore } from '../../../../libs/storage/src';
import { ApiConfig } from '../config/api.config';

/** The encrypted blob store under {data_dir}/blobs, keyed from the database key. */
@Global()
@Module({})
export class StorageModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: BlobStore, useFactory: () => blobStoreFor(config) }],
      exports: [BlobStore],
    };
  }
}

/** TFTSR_TEST_DISK_QUOTA_BYTES (test only, refused otherwise by the config check) simulates a small disk. */
function blobStoreFor(config: ApiConfig): BlobStore {
  const key = deriveKey(config.databaseKey, 'blob-encryption');
  const quota = config.NODE_ENV === 'test' ? config.TFTSR_TEST_DISK_QUOTA_BYTES : undefined;
  return quota ? new QuotaBlobStore(config.dataDir, key, quota) : new BlobStore(config.dataDir, key);
}
